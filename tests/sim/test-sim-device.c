/* test-sim-device.c — the simulator's firmware rules, over raw packets
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "test-sim.h"
#include "zk-sim-fixture.h"
#include "zk-packet.h"

/* how long "silence" is waited for */
#define SILENCE_MS 150

/* ------------------------------------------------------------ raw client */

typedef struct
{
  GSocket *socket;
  gboolean udp;
  GSocketAddress *address;
  guint16 session;
  guint16 rid;
  GByteArray *in;
} Raw;

static Raw *
raw_new (guint16 port, gboolean udp)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  Raw *raw = g_new0 (Raw, 1);

  g_assert_cmpuint (port, !=, 0);
  raw->udp = udp;
  raw->in = g_byte_array_new ();
  raw->address = g_inet_socket_address_new (lo, port);
  raw->socket
      = g_socket_new (G_SOCKET_FAMILY_IPV4, udp ? G_SOCKET_TYPE_DATAGRAM : G_SOCKET_TYPE_STREAM,
                      udp ? G_SOCKET_PROTOCOL_UDP : G_SOCKET_PROTOCOL_TCP, &error);
  g_assert_no_error (error);
  g_socket_connect (raw->socket, raw->address, NULL, &error);
  g_assert_no_error (error);
  return raw;
}

static void
raw_free (Raw *raw)
{
  g_socket_close (raw->socket, NULL);
  g_object_unref (raw->socket);
  g_object_unref (raw->address);
  g_byte_array_unref (raw->in);
  g_free (raw);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Raw, raw_free)

static void
raw_send_full (Raw *raw,
               guint16 command,
               guint16 session,
               guint16 rid,
               const void *payload,
               gsize len,
               gboolean bad_checksum)
{
  g_autoptr (GByteArray) packet = g_byte_array_new ();
  g_autoptr (GError) error = NULL;
  guint off = raw->udp ? 0 : ZK_TCP_WRAPPER_SIZE;

  if (raw->udp)
    zk_packet_append (packet, command, session, rid, payload, len);
  else
    zk_packet_append_tcp (packet, command, session, rid, payload, len);
  if (bad_checksum)
    packet->data[off + 2] ^= 0x01;
  g_socket_send (raw->socket, (const char *)packet->data, packet->len, NULL, &error);
  g_assert_no_error (error);
}

/* the next packet (header + payload, no wrapper), or NULL after @timeout_ms */
static GBytes *
raw_recv (Raw *raw, guint timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64)timeout_ms * 1000;

  for (;;)
    {
      guint8 buf[70000];
      gssize n;
      gint64 left;

      if (raw->udp && raw->in->len > 0)
        {
          GBytes *packet = g_bytes_new (raw->in->data, raw->in->len);

          g_byte_array_set_size (raw->in, 0);
          return packet;
        }
      if (!raw->udp && raw->in->len >= ZK_TCP_WRAPPER_SIZE)
        {
          guint32 len;

          g_assert_true (zk_tcp_wrapper_parse (raw->in->data, &len));
          if (raw->in->len >= ZK_TCP_WRAPPER_SIZE + len)
            {
              GBytes *packet = g_bytes_new (raw->in->data + ZK_TCP_WRAPPER_SIZE, len);

              g_byte_array_remove_range (raw->in, 0, ZK_TCP_WRAPPER_SIZE + len);
              return packet;
            }
        }
      left = deadline - g_get_monotonic_time ();
      if (left <= 0 || !g_socket_condition_timed_wait (raw->socket, G_IO_IN, left, NULL, NULL))
        return NULL;
      n = g_socket_receive (raw->socket, (char *)buf, sizeof buf, NULL, NULL);
      if (n <= 0)
        return NULL;
      g_byte_array_append (raw->in, buf, (guint)n);
    }
}

typedef struct
{
  ZkHeader h;
  const guint8 *payload;
  gsize len;
  GBytes *bytes;
} Reply;

static void
reply_clear (Reply *r)
{
  g_clear_pointer (&r->bytes, g_bytes_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Reply, reply_clear)

static gboolean
raw_reply (Raw *raw, guint timeout_ms, Reply *reply)
{
  gsize size;
  const guint8 *data;

  reply_clear (reply);
  reply->bytes = raw_recv (raw, timeout_ms);
  if (reply->bytes == NULL)
    return FALSE;
  data = g_bytes_get_data (reply->bytes, &size);
  g_assert_true (zk_packet_parse (data, size, TRUE, &reply->h, &reply->payload, &reply->len));
  return TRUE;
}

/* next reply id, send, wait for the first answer */
static void
raw_request (Raw *raw, guint16 command, const void *payload, gsize len, Reply *reply)
{
  raw->rid = zk_reply_id_next (raw->rid);
  raw_send_full (raw, command, raw->session, raw->rid, payload, len, FALSE);
  g_assert_true (raw_reply (raw, 2000, reply));
  g_assert_cmpuint (reply->h.reply_id, ==, raw->rid);
}

/* a request whose first answer must be @expect */
static void
raw_expect (Raw *raw, guint16 expect, guint16 command, const void *payload, gsize len, Reply *reply)
{
  raw_request (raw, command, payload, len, reply);
  g_assert_cmpuint (reply->h.command, ==, expect);
}

static void
raw_connect (Raw *raw, guint16 expect)
{
  g_auto (Reply) r = { 0 };

  raw->rid = 0;
  raw_send_full (raw, ZK_CMD_CONNECT, 0, 0, NULL, 0, FALSE);
  g_assert_true (raw_reply (raw, 2000, &r));
  g_assert_cmpuint (r.h.command, ==, expect);
  g_assert_cmpuint (r.h.session_id, !=, 0);
  raw->session = r.h.session_id;
}

/* a raw client with a session on the first device of @sim */
static Raw *
raw_session (TestSim *sim, gboolean udp)
{
  Raw *raw = raw_new (udp ? test_sim_udp_port (sim, 0) : test_sim_tcp_port (sim, 0), udp);

  raw_connect (raw, ZK_ACK_OK);
  return raw;
}

static void
assert_silence (Raw *raw)
{
  g_auto (Reply) r = { 0 };

  g_assert_false (raw_reply (raw, SILENCE_MS, &r));
}

/* a USER_WRQ of the first @len bytes of a 72-byte record of (@uid,
 * @user_id), answered @expect */
static void
write_user (Raw *raw, guint16 expect, guint16 uid, const char *user_id, gsize len, Reply *reply)
{
  g_autoptr (ZkUser) user = zk_user_new ();
  guint8 rec[72];

  user->uid = uid;
  g_strlcpy (user->user_id, user_id, sizeof user->user_id);
  g_free (user->name);
  user->name = g_strdup ("Test User");
  user->group = 1;
  g_assert_true (zk_user_encode (user, 72, NULL, rec, NULL));
  raw_expect (raw, expect, ZK_CMD_USER_WRQ, rec, len, reply);
}

/* ------------------------------------------------------------ tests */

static void
test_session_rules (void)
{
  g_autoptr (TestSim) sim = test_sim_new_simple ("A", 3, 1, 5);
  g_autoptr (Raw) raw = raw_session (sim, FALSE);
  g_auto (Reply) r = { 0 };

  /* bad checksum → silence; the device is still there afterwards */
  raw_send_full (raw, ZK_CMD_GET_VERSION, raw->session, 1, NULL, 0, TRUE);
  assert_silence (raw);
  /* unknown session → silence */
  raw_send_full (raw, ZK_CMD_GET_VERSION, (guint16)(raw->session + 1), 1, NULL, 0, FALSE);
  assert_silence (raw);

  raw->rid = 4;
  raw_expect (raw, ZK_ACK_OK, ZK_CMD_GET_VERSION, NULL, 0, &r);
  g_assert_cmpstr ((const char *)r.payload, ==, "Ver 6.60 Apr 26 2016");
  /* lower reply id → silence */
  raw_send_full (raw, ZK_CMD_GET_VERSION, raw->session, 3, NULL, 0, FALSE);
  assert_silence (raw);

  /* unknown commands, and pyzk's odd requests */
  raw_expect (raw, ZK_ACK_UNKNOWN, 1505, NULL, 0, &r);
  raw_expect (raw, ZK_ACK_UNKNOWN, ZK_ACK_ERROR, NULL, 0, &r);
  raw_expect (raw, ZK_ACK_UNKNOWN, 0xFFFF, NULL, 0, &r);

  /* options: with and without trailing NUL, unknown → ACK_ERROR */
  raw_expect (raw, ZK_ACK_OK, ZK_CMD_OPTIONS_RRQ, "~ZKFPVersion", 12, &r);
  g_assert_cmpstr ((const char *)r.payload, ==, "~ZKFPVersion=10");
  raw_request (raw, ZK_CMD_OPTIONS_RRQ, "FaceFunOn", 10, &r);
  g_assert_cmpstr ((const char *)r.payload, ==, "FaceFunOn=1");
  raw_expect (raw, ZK_ACK_ERROR, ZK_CMD_OPTIONS_RRQ, "NoSuchOption", 13, &r);

  /* free sizes: 23 ints on a face device */
  raw_request (raw, ZK_CMD_GET_FREE_SIZES, NULL, 0, &r);
  g_assert_cmpuint (r.len, ==, 92);
  g_assert_cmpuint (zk_read_u32 (r.payload + 16), ==, 3);
  g_assert_cmpuint (zk_read_u32 (r.payload + 24), ==, 3);
  g_assert_cmpuint (zk_read_u32 (r.payload + 32), ==, 5);

  /* SET_TIME payload longer than needed is fine */
  {
    guint8 t[32] = { 0 };
    ZkTime when = { 2024, 5, 6, 7, 8, 9 };

    zk_write_u32 (t, zk_time_encode (&when));
    raw_expect (raw, ZK_ACK_OK, ZK_CMD_SET_TIME, t, sizeof t, &r);
    raw_request (raw, ZK_CMD_GET_TIME, NULL, 0, &r);
    g_assert_cmpuint (r.len, ==, 4);
    /* within a few seconds of what was set */
    g_assert_cmpuint (zk_read_u32 (r.payload) - zk_time_encode (&when), <, 5);
  }

  /* disable with a 1 s timeout re-enables itself */
  {
    guint8 secs[4];

    zk_write_u32 (secs, 1);
    raw_request (raw, ZK_CMD_DISABLEDEVICE, secs, 4, &r);
    g_assert_cmpint (test_sim_stat (sim, 0, "disabled"), ==, 1);
  }
  raw_expect (raw, ZK_ACK_OK, ZK_CMD_EXIT, NULL, 0, &r);
  /* EXIT of the last session re-enabled it */
  g_assert_cmpint (test_sim_stat (sim, 0, "disabled"), ==, 0);
  g_assert_cmpint (test_sim_stat (sim, 0, "re_enables"), ==, 1);
}

static void
test_cached_reply (void)
{
  g_autoptr (TestSim) sim = test_sim_new_simple ("A", 3, 0, 0);
  g_autoptr (Raw) raw = raw_session (sim, FALSE);
  g_auto (Reply) r = { 0 };
  guint8 uid[2];

  zk_write_u16 (uid, 2);
  raw_expect (raw, ZK_ACK_OK, ZK_CMD_DELETE_USER, uid, 2, &r);
  g_assert_cmpuint (test_sim_count (sim, 0, "users"), ==, 2);
  test_sim_do (sim, "enroll A 2 2 Back Again");
  g_assert_cmpuint (test_sim_count (sim, 0, "users"), ==, 3);

  /* the same reply id again: the cached ACK_OK, not executed again */
  raw_send_full (raw, ZK_CMD_DELETE_USER, raw->session, raw->rid, uid, 2, FALSE);
  g_assert_true (raw_reply (raw, 2000, &r));
  g_assert_cmpuint (r.h.command, ==, ZK_ACK_OK);
  g_assert_cmpuint (test_sim_count (sim, 0, "users"), ==, 3);
  g_assert_cmpint (test_sim_stat (sim, 0, "retransmits"), ==, 1);

  /* a new reply id executes */
  raw_request (raw, ZK_CMD_DELETE_USER, uid, 2, &r);
  g_assert_cmpuint (test_sim_count (sim, 0, "users"), ==, 2);
  /* deleting a missing uid is an error */
  raw_expect (raw, ZK_ACK_ERROR, ZK_CMD_DELETE_USER, uid, 2, &r);
}

static void
check_auth (guint32 key)
{
  TestSimDeviceSpec spec = { .name = "K", .users = 1, .comm_key = key };
  g_autoptr (TestSim) sim = test_sim_new_specs (&spec, 1);
  g_autoptr (Raw) raw = raw_new (test_sim_tcp_port (sim, 0), FALSE);
  g_auto (Reply) r = { 0 };
  guint8 auth[4];

  raw_connect (raw, ZK_ACK_UNAUTH);
  raw_expect (raw, ZK_ACK_UNAUTH, ZK_CMD_GET_VERSION, NULL, 0, &r);
  /* a wrong key is refused, the session stays */
  zk_commkey_make (key + 1, raw->session, 50, auth);
  raw_expect (raw, ZK_ACK_UNAUTH, ZK_CMD_AUTH, auth, 4, &r);
  zk_commkey_make (key, raw->session, 50, auth);
  raw_expect (raw, ZK_ACK_OK, ZK_CMD_AUTH, auth, 4, &r);
  raw_expect (raw, ZK_ACK_OK, ZK_CMD_GET_VERSION, NULL, 0, &r);
}

static void
test_auth (void)
{
  check_auth (12);
  check_auth (45);
}

static void
query_users (Raw *raw, Reply *r)
{
  static const guint8 q[] = { 1, 9, 0, 5, 0, 0, 0, 0, 0, 0, 0 };

  raw_request (raw, ZK_CMD_QUERY_DATA, q, sizeof q, r);
}

static void
test_bulk_read (void)
{
  TestSimDeviceSpec specs[] = {
    { .name = "seven", .users = 7 },
    { .name = "seventy", .users = 70 },
  };
  g_autoptr (TestSim) sim = test_sim_new_specs (specs, 2);
  g_autoptr (Raw) small = raw_new (test_sim_tcp_port (sim, 0), FALSE);
  g_autoptr (Raw) big = raw_new (test_sim_tcp_port (sim, 1), FALSE);
  g_auto (Reply) r = { 0 };
  g_autoptr (GByteArray) blob = g_byte_array_new ();
  guint8 rd[8];
  static const guint8 bad[] = { 1, 9, 0, 5 };

  raw_connect (small, ZK_ACK_OK);
  query_users (small, &r);
  g_assert_cmpuint (r.h.command, ==, ZK_CMD_DATA);
  g_assert_cmpuint (r.len, ==, 508);
  g_assert_cmpuint (zk_read_u32 (r.payload), ==, 504);
  /* the 1503 payload must be exactly 11 bytes */
  raw_expect (small, ZK_ACK_ERROR, ZK_CMD_QUERY_DATA, bad, sizeof bad, &r);

  raw_connect (big, ZK_ACK_OK);
  query_users (big, &r);
  g_assert_cmpuint (r.h.command, ==, ZK_ACK_OK);
  g_assert_cmpuint (r.len, ==, 13);
  g_assert_cmpuint (zk_read_u32 (r.payload + 1), ==, 5044);

  /* 1504 of the whole blob: PREPARE_DATA [5044, 1008], DATA idx 0…5, ACK_OK */
  zk_write_u32 (rd, 0);
  zk_write_u32 (rd + 4, 5044);
  raw_expect (big, ZK_CMD_PREPARE_DATA, ZK_CMD_READ_DATA, rd, sizeof rd, &r);
  g_assert_cmpuint (zk_read_u32 (r.payload), ==, 5044);
  g_assert_cmpuint (zk_read_u32 (r.payload + 4), ==, 1008);
  for (guint i = 0; i < 6; i++)
    {
      g_assert_true (raw_reply (big, 2000, &r));
      g_assert_cmpuint (r.h.command, ==, ZK_CMD_DATA);
      g_assert_cmpuint (r.h.session_id, ==, i);
      g_assert_cmpuint (r.h.reply_id, ==, big->rid);
      g_assert_cmpuint (r.len, ==, i < 5 ? 1008 : 4);
      g_byte_array_append (blob, r.payload, (guint)r.len);
    }
  g_assert_true (raw_reply (big, 2000, &r));
  g_assert_cmpuint (r.h.command, ==, ZK_ACK_OK);
  g_assert_cmpuint (blob->len, ==, 5044);
  g_assert_cmpuint (zk_read_u32 (blob->data), ==, 5040);

  /* a small slice is inline; out of range is an error */
  zk_write_u32 (rd, 4);
  zk_write_u32 (rd + 4, 72);
  raw_expect (big, ZK_CMD_DATA, ZK_CMD_READ_DATA, rd, sizeof rd, &r);
  g_assert_cmpuint (r.len, ==, 72);
  zk_write_u32 (rd, 5000);
  raw_expect (big, ZK_ACK_ERROR, ZK_CMD_READ_DATA, rd, sizeof rd, &r);
  raw_request (big, ZK_CMD_FREE_DATA, NULL, 0, &r);
  zk_write_u32 (rd, 0);
  raw_expect (big, ZK_ACK_ERROR, ZK_CMD_READ_DATA, rd, sizeof rd, &r);
}

/* 1504 asks for @length at 0: the first packet of the answer, the rest
 * of a stream drained up to its ACK_OK */
static guint16
read_slice (Raw *raw, guint32 length, guint32 *psize)
{
  g_auto (Reply) r = { 0 };
  guint8 rd[8];
  guint16 command;

  zk_write_u32 (rd, 0);
  zk_write_u32 (rd + 4, length);
  raw_request (raw, ZK_CMD_READ_DATA, rd, sizeof rd, &r);
  command = r.h.command;
  if (command == ZK_CMD_PREPARE_DATA)
    {
      *psize = zk_read_u32 (r.payload + 4);
      do
        g_assert_true (raw_reply (raw, 2000, &r));
      while (r.h.command == ZK_CMD_DATA);
      g_assert_cmpuint (r.h.command, ==, ZK_ACK_OK);
    }
  return command;
}

/* a 1504 larger than a firmware of that kind is known to serve is
 * refused (ZK-PROTOCOL.md §3.6): a too-greedy client fails here first */
static void
test_read_max (void)
{
  TestSimDeviceSpec specs[] = {
    { .name = "small", .users = 1000 },
    { .name = "large", .users = 1000, .psize = 65528 },
    { .name = "strict", .users = 1000, .psize = 65528, .extra = "\"read_max\":65472" },
  };
  g_autoptr (TestSim) sim = test_sim_new_specs (specs, 3);
  g_auto (Reply) r = { 0 };
  guint32 psize = 0;

  for (guint i = 0; i < 3; i++)
    {
      g_autoptr (Raw) tcp = raw_new (test_sim_tcp_port (sim, i), FALSE);
      g_autoptr (Raw) udp = raw_new (test_sim_udp_port (sim, i), TRUE);

      raw_connect (tcp, ZK_ACK_OK);
      query_users (tcp, &r);
      g_assert_cmpuint (zk_read_u32 (r.payload + 1), ==, 72004);
      /* the documented slice is served everywhere */
      g_assert_cmpuint (read_slice (tcp, 65472, &psize), ==, ZK_CMD_PREPARE_DATA);
      g_assert_cmpuint (psize, ==, i == 0 ? 1008 : 65528);
      /* more: only by large-packet firmware that does not say otherwise */
      g_assert_cmpuint (read_slice (tcp, 72004, &psize), ==,
                        i == 1 ? ZK_CMD_PREPARE_DATA : ZK_ACK_ERROR);
      g_assert_cmpint (test_sim_stat (sim, i, "reads_refused"), ==, i == 1 ? 0 : 1);

      /* UDP: 1024-byte packets, nothing beyond the documented slice */
      raw_connect (udp, ZK_ACK_OK);
      query_users (udp, &r);
      g_assert_cmpuint (read_slice (udp, 65472, &psize), ==, ZK_CMD_PREPARE_DATA);
      g_assert_cmpuint (psize, ==, 1024);
      g_assert_cmpuint (read_slice (udp, 65473, &psize), ==, ZK_ACK_ERROR);
      g_assert_cmpint (test_sim_stat (sim, i, "reads_refused"), ==, i == 1 ? 1 : 2);
    }
}

/* two simulators never share a UDP port: on a machine running several
 * test suites, one would answer the other's clients */
static void
test_udp_port_exclusive (void)
{
  g_autoptr (TestSim) first = test_sim_new_simple ("A", 1, 0, 0);
  g_autofree char *fixture
      = g_strdup_printf ("{\"devices\":[{\"name\":\"B\",\"tcp_port\":0,\"udp_port\":%u}]}",
                         test_sim_udp_port (first, 0));
  g_autoptr (GError) error = NULL;
  TestSim *second = test_sim_new_full (fixture, &error);

  g_assert_null (second);
  g_assert_nonnull (error);
}

static void
test_upload_sequence (void)
{
  g_autoptr (TestSim) sim = test_sim_new_simple ("A", 2, 0, 0);
  g_autoptr (Raw) raw = raw_new (test_sim_tcp_port (sim, 0), FALSE);
  g_auto (Reply) r = { 0 };
  g_autoptr (GRand) rand = g_rand_new_with_seed (7);
  g_autoptr (GBytes) tmpl = zk_sim_make_template (rand, 10, 800);
  gsize size;
  const guint8 *data = g_bytes_get_data (tmpl, &size);
  guint8 word[6];

  raw_connect (raw, ZK_ACK_OK);
  zk_write_u32 (word, (guint32)size);
  raw_expect (raw, ZK_ACK_OK, ZK_CMD_PREPARE_DATA, word, 4, &r);
  raw_expect (raw, ZK_ACK_OK, ZK_CMD_DATA, data, 400, &r);
  /* skipping a reply id is refused */
  raw->rid++;
  raw_expect (raw, ZK_ACK_ERROR, ZK_CMD_DATA, data + 400, size - 400, &r);
  /* the refused slice did not move "last": last + 1 still works */
  raw->rid -= 2;
  raw_expect (raw, ZK_ACK_OK, ZK_CMD_DATA, data + 400, size - 400, &r);
  /* more than announced overflows */
  raw_expect (raw, ZK_ACK_ERROR, ZK_CMD_DATA, data, 1, &r);

  raw_request (raw, ZK_CMD_HASH_DATA, NULL, 0, &r);
  g_assert_cmpuint (r.len, ==, 4);
  /* CMD 87 [uid][fid][valid][len] takes it from the buffer (v10) */
  zk_write_u16 (word, 1);
  word[2] = 3;
  word[3] = 1;
  zk_write_u16 (word + 4, (guint16)size);
  raw_expect (raw, ZK_ACK_OK, ZK_CMD_USERTEMP_EX_WRQ, word, 6, &r);
  g_assert_cmpuint (test_sim_count (sim, 0, "fingers"), ==, 1);
  /* v10 overwrites */
  raw_expect (raw, ZK_ACK_OK, ZK_CMD_USERTEMP_EX_WRQ, word, 6, &r);
  /* to a user that does not exist: refused */
  zk_write_u16 (word, 99);
  raw_expect (raw, ZK_ACK_ERROR, ZK_CMD_USERTEMP_EX_WRQ, word, 6, &r);

  /* CMD 88 reads it back, v10 → stream with a trailing valid byte */
  zk_write_u16 (word, 1);
  word[2] = 3;
  raw_expect (raw, ZK_CMD_PREPARE_DATA, ZK_CMD_USERTEMP_EX_RRQ, word, 3, &r);
  g_assert_cmpuint (zk_read_u32 (r.payload), ==, size + 1);
  g_assert_true (raw_reply (raw, 2000, &r));
  g_assert_cmpuint (r.len, ==, size + 1);
  g_assert_cmpmem (r.payload, size, data, size);
  g_assert_cmpuint (r.payload[size], ==, 1);
  g_assert_true (raw_reply (raw, 2000, &r));
  g_assert_cmpuint (r.h.command, ==, ZK_ACK_OK);

  /* delete by user id, fid 13 = all */
  {
    guint8 del[25] = { '1' };

    del[24] = ZK_FID_ALL;
    raw_expect (raw, ZK_ACK_OK, ZK_CMD_SSRDELETE_USERTEMP, del, sizeof del, &r);
    g_assert_cmpuint (test_sim_count (sim, 0, "fingers"), ==, 0);
    /* nothing left: still ACK_OK, 2 in the session field */
    raw_expect (raw, ZK_ACK_OK, ZK_CMD_SSRDELETE_USERTEMP, del, sizeof del, &r);
    g_assert_cmpuint (r.h.session_id, ==, 2);
  }
}

static void
test_user_rules (void)
{
  TestSimDeviceSpec spec = { .name = "A", .users = 3, .extra = "\"capacity\":{\"users\":4}" };
  g_autoptr (TestSim) sim = test_sim_new_specs (&spec, 1);
  g_autoptr (Raw) raw = raw_session (sim, FALSE);
  g_auto (Reply) r = { 0 };

  /* wrong width */
  write_user (raw, ZK_ACK_ERROR, 10, "10", 28, &r);
  /* user id "0" and empty */
  write_user (raw, ZK_ACK_ERROR, 10, "0", 72, &r);
  write_user (raw, ZK_ACK_ERROR, 10, "", 72, &r);
  /* user id "2" belongs to uid 2 */
  write_user (raw, ZK_ACK_ERROR, 10, "2", 72, &r);
  g_assert_cmpuint (r.h.session_id, ==, 1);
  /* new user id on a used uid */
  write_user (raw, ZK_ACK_ERROR, 2, "2000", 72, &r);
  /* same uid + user id: replaced */
  write_user (raw, ZK_ACK_OK, 2, "2", 72, &r);
  /* a new one fits (4th), the 5th does not */
  write_user (raw, ZK_ACK_OK, 10, "10", 72, &r);
  write_user (raw, ZK_ACK_ERROR, 11, "11", 72, &r);
  g_assert_cmpuint (test_sim_count (sim, 0, "users"), ==, 4);

  /* the "full" fault refuses even below capacity */
  {
    guint8 uid[2];

    zk_write_u16 (uid, 10);
    raw_request (raw, ZK_CMD_DELETE_USER, uid, 2, &r);
    test_sim_do (sim, "fault A full");
    write_user (raw, ZK_ACK_ERROR, 11, "11", 72, &r);
    test_sim_do (sim, "fault A clear");
    write_user (raw, ZK_ACK_OK, 11, "11", 72, &r);
  }
}

static void
test_v9_slot (void)
{
  TestSimDeviceSpec spec = { .name = "v9", .users = 2, .fingers_per_user = 1, .fp_version = 9 };
  g_autoptr (TestSim) sim = test_sim_new_specs (&spec, 1);
  g_autoptr (Raw) raw = raw_session (sim, FALSE);
  g_auto (Reply) r = { 0 };
  guint8 req[5 + 400] = { 0 };

  /* CMD 10 inline on v9: [uid][fid][u16 len][template] */
  zk_write_u16 (req, 1);
  req[2] = 0;
  zk_write_u16 (req + 3, 400);
  raw_expect (raw, ZK_ACK_ERROR, ZK_CMD_USERTEMP_WRQ, req, sizeof req, &r);
  g_assert_cmpuint (r.h.session_id, ==, 4);
  req[2] = 1;
  raw_expect (raw, ZK_ACK_OK, ZK_CMD_USERTEMP_WRQ, req, sizeof req, &r);
  g_assert_cmpuint (test_sim_count (sim, 0, "fingers"), ==, 3);
  /* v9 answers a single template inline, length in the session field */
  raw_expect (raw, ZK_ACK_OK, ZK_CMD_USERTEMP_EX_RRQ, req, 3, &r);
  g_assert_cmpuint (r.len, ==, 401);
  g_assert_cmpuint (r.h.session_id, ==, 401);
}

static void
test_faces (void)
{
  TestSimDeviceSpec specs[] = {
    { .name = "f7", .users = 2, .faces_per_user = 3, .face = "face7" },
    { .name = "vl", .users = 2, .face = "vl" },
    { .name = "none", .users = 2, .face = "none" },
  };
  g_autoptr (TestSim) sim = test_sim_new_specs (specs, 3);
  g_auto (Reply) r = { 0 };
  guint8 q[3];

  zk_write_u16 (q, 1);
  q[2] = ZK_FACE_ALL_INDEX;
  {
    g_autoptr (Raw) raw = raw_session (sim, FALSE);
    gsize total = 0;

    raw_expect (raw, ZK_CMD_PREPARE_DATA, ZK_CMD_USERFACE_RRQ, q, 3, &r);
    g_assert_cmpuint (zk_read_u32 (r.payload), ==, 3 * ZK_FACE_RECORD_SIZE);
    while (raw_reply (raw, 2000, &r) && r.h.command == ZK_CMD_DATA)
      total += r.len;
    g_assert_cmpuint (r.h.command, ==, ZK_ACK_OK);
    g_assert_cmpuint (total, ==, 3 * ZK_FACE_RECORD_SIZE);
    /* delete by user id */
    raw_request (raw, ZK_CMD_DELETE_USERFACE, "1\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 24,
                 &r);
    g_assert_cmpuint (r.h.command, ==, ZK_ACK_OK);
    raw_expect (raw, ZK_ACK_ERROR, ZK_CMD_USERFACE_RRQ, q, 3, &r);
    g_assert_cmpuint (test_sim_count (sim, 0, "faces"), ==, 3);
  }
  {
    g_autoptr (Raw) raw = raw_new (test_sim_tcp_port (sim, 1), FALSE);

    raw_connect (raw, ZK_ACK_OK);
    raw_expect (raw, ZK_ACK_UNKNOWN, ZK_CMD_USERFACE_RRQ, q, 3, &r);
    raw_expect (raw, ZK_ACK_UNKNOWN, ZK_CMD_DELETE_USERFACE, "1", 1, &r);
  }
  {
    g_autoptr (Raw) raw = raw_new (test_sim_tcp_port (sim, 2), FALSE);

    raw_connect (raw, ZK_ACK_OK);
    raw_expect (raw, ZK_ACK_ERROR, ZK_CMD_USERFACE_RRQ, q, 3, &r);
    raw_request (raw, ZK_CMD_OPTIONS_RRQ, "FaceFunOn", 10, &r);
    g_assert_cmpstr ((const char *)r.payload, ==, "FaceFunOn=0");
    raw_request (raw, ZK_CMD_GET_FREE_SIZES, NULL, 0, &r);
    g_assert_cmpuint (r.len, ==, 80);
  }
}

static void
test_udp (void)
{
  g_autoptr (TestSim) sim = test_sim_new_simple ("U", 70, 0, 0);
  g_autoptr (Raw) raw = raw_session (sim, TRUE);
  g_auto (Reply) r = { 0 };
  guint8 big[1100];
  guint16 first;
  guint8 rd[8];

  first = raw->session;
  /* a CONNECT from the same peer re-uses the slot and its id */
  raw_connect (raw, ZK_ACK_OK);
  g_assert_cmpuint (raw->session, ==, first);

  memset (big, 'x', sizeof big);
  zk_write_u32 (rd, 4096);
  raw_expect (raw, ZK_ACK_OK, ZK_CMD_PREPARE_DATA, rd, 4, &r);
  /* > 1032 bytes on the wire: truncated → bad checksum → silence */
  raw->rid++;
  raw_send_full (raw, ZK_CMD_DATA, raw->session, raw->rid, big, 1100, FALSE);
  assert_silence (raw);
  /* the same slice within the limit, same reply id: accepted */
  raw_send_full (raw, ZK_CMD_DATA, raw->session, raw->rid, big, 1024, FALSE);
  g_assert_true (raw_reply (raw, 2000, &r));
  g_assert_cmpuint (r.h.command, ==, ZK_ACK_OK);

  /* UDP streams use 1024-byte packets */
  query_users (raw, &r);
  g_assert_cmpuint (r.h.command, ==, ZK_ACK_OK);
  zk_write_u32 (rd, 0);
  zk_write_u32 (rd + 4, 5044);
  raw_expect (raw, ZK_CMD_PREPARE_DATA, ZK_CMD_READ_DATA, rd, sizeof rd, &r);
  g_assert_cmpuint (zk_read_u32 (r.payload + 4), ==, 1024);
}

static void
test_events (void)
{
  g_autoptr (TestSim) sim = test_sim_new_simple ("E", 3, 0, 0);
  g_autoptr (Raw) raw = raw_session (sim, FALSE);
  g_auto (Reply) r = { 0 };
  guint8 mask[4];

  zk_write_u32 (mask, ZK_EF_ATTLOG);
  raw_expect (raw, ZK_ACK_OK, ZK_CMD_REG_EVENT, mask, 4, &r);
  test_sim_do (sim, "punch E 2 15 1 2024-05-06T07:08:09");
  g_assert_true (raw_reply (raw, 2000, &r));
  g_assert_cmpuint (r.h.command, ==, ZK_CMD_REG_EVENT);
  g_assert_cmpuint (r.h.session_id, ==, ZK_EF_ATTLOG);
  g_assert_cmpuint (r.h.reply_id, ==, 0);
  g_assert_cmpuint (r.len, ==, 36);
  g_assert_cmpstr ((const char *)r.payload, ==, "2");
  g_assert_cmpuint (r.payload[24], ==, 15);
  g_assert_cmpuint (r.payload[25], ==, 1);
  g_assert_cmpuint (r.payload[26], ==, 24);
  /* the host's ack is consumed silently */
  raw_send_full (raw, ZK_ACK_OK, raw->session, 0, NULL, 0, FALSE);
  assert_silence (raw);
  g_assert_cmpuint (test_sim_count (sim, 0, "attendance"), ==, 1);
  g_assert_cmpint (test_sim_stat (sim, 0, "events_sent"), ==, 1);
}

static void
test_faults (void)
{
  g_autoptr (TestSim) sim = test_sim_new_simple ("F", 70, 0, 0);
  g_auto (Reply) r = { 0 };

  /* busy: a second TCP session is refused */
  test_sim_do (sim, "fault F busy");
  {
    g_autoptr (Raw) one = raw_new (test_sim_tcp_port (sim, 0), FALSE);
    g_autoptr (Raw) two = NULL;

    raw_connect (one, ZK_ACK_OK);
    two = raw_new (test_sim_tcp_port (sim, 0), FALSE);
    raw_send_full (two, ZK_CMD_CONNECT, 0, 0, NULL, 0, FALSE);
    assert_silence (two);
  }
  test_sim_do (sim, "fault F clear");

  /* drop the reply of the 2nd request; the retry gets the cached one */
  {
    g_autoptr (Raw) raw = raw_session (sim, FALSE);
    guint8 uid[2];

    test_sim_do (sim, "fault F drop-reply 1");
    zk_write_u16 (uid, 5);
    raw->rid++;
    raw_send_full (raw, ZK_CMD_DELETE_USER, raw->session, raw->rid, uid, 2, FALSE);
    assert_silence (raw);
    g_assert_cmpuint (test_sim_count (sim, 0, "users"), ==, 69);
    raw_send_full (raw, ZK_CMD_DELETE_USER, raw->session, raw->rid, uid, 2, FALSE);
    g_assert_true (raw_reply (raw, 2000, &r));
    g_assert_cmpuint (r.h.command, ==, ZK_ACK_OK);
    g_assert_cmpuint (test_sim_count (sim, 0, "users"), ==, 69);

    /* corrupt checksum of the next reply */
    test_sim_do (sim, "fault F corrupt-checksum 1");
    raw->rid++;
    raw_send_full (raw, ZK_CMD_GET_VERSION, raw->session, raw->rid, NULL, 0, FALSE);
    {
      g_autoptr (GBytes) bad = raw_recv (raw, 2000);
      ZkHeader h;
      const guint8 *p;
      gsize n;

      g_assert_nonnull (bad);
      g_assert_false (
          zk_packet_parse (g_bytes_get_data (bad, NULL), g_bytes_get_size (bad), TRUE, &h, &p, &n));
    }
    /* close mid-stream: PREPARE_DATA, one DATA, then EOF */
    test_sim_do (sim, "fault F close-mid-stream");
    query_users (raw, &r);
    {
      guint8 rd[8];
      guint n = 0;

      zk_write_u32 (rd, 0);
      zk_write_u32 (rd + 4, 69 * 72 + 4);
      raw_expect (raw, ZK_CMD_PREPARE_DATA, ZK_CMD_READ_DATA, rd, sizeof rd, &r);
      while (raw_reply (raw, 500, &r))
        n++;
      g_assert_cmpuint (n, ==, 1);
    }
  }
  /* ack-drop-writes: acknowledged, not kept */
  {
    g_autoptr (Raw) raw = raw_session (sim, FALSE);

    test_sim_do (sim, "fault F ack-drop-writes");
    write_user (raw, ZK_ACK_OK, 200, "200", 72, &r);
    g_assert_cmpuint (test_sim_count (sim, 0, "users"), ==, 69);
    test_sim_do (sim, "fault F clear");

    /* reboot drops the session: the connection closes */
    test_sim_do (sim, "reboot F");
    g_assert_false (raw_reply (raw, 500, &r));
  }
}

static void
test_many_devices (void)
{
  GString *s = g_string_new ("{\"devices\":[");
  g_autoptr (TestSim) sim = NULL;

  for (guint i = 0; i < 200; i++)
    g_string_append_printf (s, "%s{\"name\":\"d%u\",\"pacing_ms\":0,\"generate\":{\"users\":2}}",
                            i ? "," : "", i);
  g_string_append (s, "]}");
  sim = test_sim_new (s->str);
  g_string_free (s, TRUE);
  g_assert_cmpuint (test_sim_n_devices (sim), ==, 200);
  for (guint i = 0; i < 200; i++)
    {
      g_autoptr (Raw) raw = raw_new (test_sim_tcp_port (sim, i), FALSE);
      g_autoptr (Raw) udp = raw_new (test_sim_udp_port (sim, i), TRUE);
      g_auto (Reply) r = { 0 };

      raw_connect (raw, ZK_ACK_OK);
      raw_connect (udp, ZK_ACK_OK);
      query_users (raw, &r);
      g_assert_cmpuint (r.h.command, ==, ZK_CMD_DATA);
      g_assert_cmpuint (r.len, ==, 4 + 2 * 72);
    }
  g_assert_cmpint (test_sim_stat (sim, 199, "max_sessions"), ==, 2);
}

/* 1503 on the attendance log with a start (param 1 ≠ 0): honoured, ignored
 * or refused as the profile says, switchable over the control socket */
static void
test_attlog_range (void)
{
  TestSimDeviceSpec spec = { .name = "L", .users = 3, .records = 3 };
  g_autoptr (TestSim) sim = test_sim_new_specs (&spec, 1);
  g_autoptr (Raw) raw = raw_session (sim, FALSE);
  g_auto (Reply) r = { 0 };
  guint8 query[11] = { 1, ZK_CMD_ATTLOG_RRQ, 0 };
  guint8 whole[11] = { 1, ZK_CMD_ATTLOG_RRQ, 0 };
  g_autoptr (GBytes) all = NULL;
  gsize all_len = 0;
  const guint8 *all_data;

  raw_expect (raw, ZK_CMD_DATA, ZK_CMD_QUERY_DATA, whole, sizeof whole, &r);
  g_assert_cmpuint (r.len, ==, 4 + 3 * 40);
  all = g_bytes_new (r.payload, r.len);
  all_data = g_bytes_get_data (all, &all_len);

  /* the 2nd record, alone */
  zk_write_u32 (query + 3, 2);
  zk_write_u32 (query + 7, 1);
  raw_expect (raw, ZK_CMD_DATA, ZK_CMD_QUERY_DATA, query, sizeof query, &r);
  g_assert_cmpuint (r.len, ==, 4 + 40);
  g_assert_cmpuint (zk_read_u32 (r.payload), ==, 40);
  g_assert_cmpmem (r.payload + 4, 40, all_data + 4 + 40, 40);
  /* count 0: to the end; past the end: an empty table (ACK_ERROR) */
  zk_write_u32 (query + 7, 0);
  raw_request (raw, ZK_CMD_QUERY_DATA, query, sizeof query, &r);
  g_assert_cmpuint (r.len, ==, 4 + 2 * 40);
  g_assert_cmpmem (r.payload + 4, 80, all_data + 4 + 40, 80);
  zk_write_u32 (query + 3, 4);
  raw_expect (raw, ZK_ACK_ERROR, ZK_CMD_QUERY_DATA, query, sizeof query, &r);

  test_sim_do (sim, "attlog-range L ignore");
  zk_write_u32 (query + 3, 2);
  zk_write_u32 (query + 7, 1);
  raw_expect (raw, ZK_CMD_DATA, ZK_CMD_QUERY_DATA, query, sizeof query, &r);
  g_assert_cmpmem (r.payload, r.len, all_data, all_len);

  test_sim_do (sim, "attlog-range L refuse");
  raw_expect (raw, ZK_ACK_ERROR, ZK_CMD_QUERY_DATA, query, sizeof query, &r);
  /* a whole-log read is never refused */
  raw_expect (raw, ZK_CMD_DATA, ZK_CMD_QUERY_DATA, whole, sizeof whole, &r);
  g_assert_cmpmem (r.payload, r.len, all_data, all_len);
  {
    g_autoptr (JsonNode) dump = test_sim_dump (sim);

    g_assert_cmpstr (json_object_get_string_member (test_sim_dump_device (dump, 0), "attlog_range"),
                     ==, "refuse");
  }
  g_assert_null (test_sim_control_full (sim, NULL, "attlog-range L sometimes"));
}

static void
test_fixture_errors (void)
{
  static const struct
  {
    const char *json;
    const char *message;
  } cases[] = {
    { "", "not JSON" },
    { "[1]", "expected an object" },
    { "{}", "fixture.devices: required" },
    { "{\"devices\":[{\"users\":[{\"uid\":\"x\"}]}]}", "devices[0].users[0].uid" },
    { "{\"devices\":[{},{\"user_format\":30}]}", "devices[1].user_format" },
    { "{\"devices\":[{\"face\":\"face9\"}]}", "devices[0].face" },
    { "{\"devices\":[{\"name\":\"a\"},{\"name\":\"a\"}]}", "used twice" },
    { "{\"devices\":[{\"users\":[{\"uid\":1}],\"fingers\":[{\"uid\":1,\"template\":\"@@\"}]}]}",
      "devices[0].fingers[0].template" },
    { "{\"devices\":[{\"fingers\":[{\"uid\":7}]}]}", "devices[0].fingers[0]" },
    { "{\"devices\":[{\"attendance\":[{\"user_id\":\"1\",\"time\":\"2024-02-30T00:00:00\"}]}]}",
      "devices[0].attendance[0].time" },
    { "{\"devices\":[{\"generate\":{\"users\":70000}}]}", "devices[0].generate.users" },
    { "{\"devices\":[{\"attlog_range\":\"sometimes\"}]}", "devices[0].attlog_range" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (GPtrArray) devices
          = zk_sim_fixture_load_from_data (cases[i].json, strlen (cases[i].json), &error);

      g_assert_null (devices);
      g_assert_nonnull (error);
      if (strstr (error->message, cases[i].message) == NULL)
        g_error ("case %u: “%s” does not mention “%s”", i, error->message, cases[i].message);
    }
}

static void
test_fixture_roundtrip (void)
{
  TestSimDeviceSpec spec = {
    .name = "R", .users = 5, .fingers_per_user = 2, .faces_per_user = 1, .records = 20, .seed = 42
  };
  g_autofree char *json = test_sim_fixture (&spec, 1);
  g_autoptr (GPtrArray) a = zk_sim_fixture_load_from_data (json, strlen (json), NULL);
  g_autoptr (GPtrArray) b = zk_sim_fixture_load_from_data (json, strlen (json), NULL);
  g_autofree char *dump_a = zk_sim_fixture_dump (a, FALSE);
  g_autofree char *dump_b = zk_sim_fixture_dump (b, FALSE);
  g_autoptr (GPtrArray) c = NULL;
  g_autofree char *dump_c = NULL;
  g_autoptr (GPtrArray) tmpls = NULL;

  /* generated data is deterministic per seed, and a dump reloads to itself */
  g_assert_cmpstr (dump_a, ==, dump_b);
  c = zk_sim_fixture_load_from_data (dump_a, strlen (dump_a), NULL);
  g_assert_nonnull (c);
  dump_c = zk_sim_fixture_dump (c, FALSE);
  g_assert_cmpstr (dump_a, ==, dump_c);

  tmpls = zk_sim_device_dup_templates (g_ptr_array_index (a, 0));
  g_assert_cmpuint (tmpls->len, ==, 10);
  for (guint i = 0; i < tmpls->len; i++)
    {
      ZkTemplate *t = g_ptr_array_index (tmpls, i);
      gsize size;
      const guint8 *d = g_bytes_get_data (t->data, &size);

      g_assert_cmpuint (size, >=, 500);
      g_assert_cmpuint (size, <=, 1600);
      g_assert_cmpmem (d + 2, 4, "SS21", 4);
    }
}

/* the handler never crashes on garbage, with or without valid checksums */
static void
test_handler_garbage (void)
{
  g_autofree char *json = test_sim_fixture_simple ("G", 5, 1, 5);
  g_autoptr (GPtrArray) devices = zk_sim_fixture_load_from_data (json, strlen (json), NULL);
  ZkSimDevice *device = g_ptr_array_index (devices, 0);
  ZkSimSession *session = zk_sim_session_new (device, ZK_SIM_TRANSPORT_TCP);
  g_autoptr (GRand) rand = g_rand_new_with_seed (3);
  g_autoptr (GPtrArray) first = NULL;
  g_autoptr (GByteArray) packet = g_byte_array_new ();
  ZkHeader h;
  const guint8 *p;
  gsize n;
  guint16 session_id;

  zk_packet_append (packet, ZK_CMD_CONNECT, 0, 0, NULL, 0);
  first = zk_sim_session_handle_packet (session, packet->data, packet->len, NULL);
  g_assert_cmpuint (first->len, ==, 1);
  g_assert_true (
      zk_packet_parse (g_bytes_get_data (g_ptr_array_index (first, 0), NULL), 8, TRUE, &h, &p, &n));
  session_id = h.session_id;
  for (guint i = 0; i < 20000; i++)
    {
      guint8 payload[64];
      gsize len = (gsize)g_rand_int_range (rand, 0, sizeof payload);
      static const guint16 commands[]
          = { 7,   8,   9,    10,   11,   12,   13,   14,   15,   18,  19,
              50,  87,  88,   110,  119,  132,  133,  134,  150,  151, 152,
              202, 500, 1500, 1501, 1502, 1503, 1504, 1003, 1102, 55,  54 };
      g_autoptr (GPtrArray) out = NULL;

      for (gsize j = 0; j < len; j++)
        payload[j] = (guint8)g_rand_int_range (rand, 0, 256);
      g_byte_array_set_size (packet, 0);
      zk_packet_append (packet, commands[g_rand_int_range (rand, 0, G_N_ELEMENTS (commands))],
                        session_id, (guint16)(i + 1), payload, len);
      if (g_rand_int_range (rand, 0, 10) == 0)
        g_byte_array_set_size (packet, (guint)g_rand_int_range (rand, 0, (gint32)packet->len + 1));
      out = zk_sim_session_handle_packet (session, packet->data, packet->len, NULL);
    }
  zk_sim_session_free (session);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/sim/session-rules", test_session_rules);
  g_test_add_func ("/sim/cached-reply", test_cached_reply);
  g_test_add_func ("/sim/auth", test_auth);
  g_test_add_func ("/sim/bulk-read", test_bulk_read);
  g_test_add_func ("/sim/read-max", test_read_max);
  g_test_add_func ("/sim/udp-port-exclusive", test_udp_port_exclusive);
  g_test_add_func ("/sim/upload-sequence", test_upload_sequence);
  g_test_add_func ("/sim/user-rules", test_user_rules);
  g_test_add_func ("/sim/v9-slot", test_v9_slot);
  g_test_add_func ("/sim/faces", test_faces);
  g_test_add_func ("/sim/udp", test_udp);
  g_test_add_func ("/sim/events", test_events);
  g_test_add_func ("/sim/faults", test_faults);
  g_test_add_func ("/sim/many-devices", test_many_devices);
  g_test_add_func ("/sim/attlog-range", test_attlog_range);
  g_test_add_func ("/sim/fixture-errors", test_fixture_errors);
  g_test_add_func ("/sim/fixture-roundtrip", test_fixture_roundtrip);
  g_test_add_func ("/sim/handler-garbage", test_handler_garbage);
  return g_test_run ();
}
