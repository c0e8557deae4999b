/* test-packet.c — framing, checksum and comm key against captured bytes
 * (ZK-PROTOCOL.md §1.2, §1.4, §2.1, §2.2)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "zk-packet.h"

#include <string.h>

static guint16
checksum_of (const guint8 *packet, gsize len)
{
  g_autofree guint8 *copy = g_memdup2 (packet, len);

  copy[2] = copy[3] = 0;
  return zk_checksum (copy, len);
}

static void
test_checksum_vectors (void)
{
  const guint8 connect0[] = { 0xe8, 0x03, 0, 0, 0x00, 0x00, 0x00, 0x00 };
  const guint8 connect1[] = { 0xe8, 0x03, 0, 0, 0x00, 0x00, 0x01, 0x00 };
  const guint8 ack1[] = { 0xd0, 0x07, 0, 0, 0xf3, 0x8d, 0x0a, 0x00, 0x09 };
  g_autoptr (GByteArray) face = g_byte_array_new ();
  const guint8 face_head[] = { 0x0b, 0x00, 0, 0, 0xf3, 0x8d, 0x03, 0x00 };

  g_assert_cmphex (checksum_of (connect0, sizeof connect0), ==, 0xfc17);
  g_assert_cmphex (checksum_of (connect1, sizeof connect1), ==, 0xfc16);
  g_assert_cmphex (checksum_of (ack1, sizeof ack1), ==, 0x6a29);

  g_byte_array_append (face, face_head, sizeof face_head);
  g_byte_array_append (face, (const guint8 *)"ZKFaceVersion", 14);
  g_assert_cmphex (checksum_of (face->data, face->len), ==, 0x175a);
}

static void
test_connect_capture (void)
{
  /* host → device and the device's reply, TCP, from a pyzk capture */
  const guint8 request[]
      = { 0x50, 0x50, 0x82, 0x7d, 0x08, 0x00, 0x00, 0x00, 0xe8, 0x03, 0x17, 0xfc, 0, 0, 0, 0 };
  const guint8 reply[] = { 0x50, 0x50, 0x82, 0x7d, 0x08, 0x00, 0x00, 0x00,
                           0xd0, 0x07, 0xff, 0xfc, 0x2f, 0xfb, 0,    0 };
  g_autoptr (GByteArray) built = g_byte_array_new ();
  ZkHeader h;
  guint32 len = 0;
  const guint8 *payload = NULL;
  gsize payload_len = 99;

  zk_packet_append_tcp (built, ZK_CMD_CONNECT, 0, 0, NULL, 0);
  g_assert_cmpmem (built->data, built->len, request, sizeof request);

  g_assert_true (zk_tcp_wrapper_parse (reply, &len));
  g_assert_cmpuint (len, ==, 8);
  g_assert_true (zk_packet_parse (reply + 8, len, TRUE, &h, &payload, &payload_len));
  g_assert_cmpuint (h.command, ==, ZK_ACK_OK);
  g_assert_cmphex (h.session_id, ==, 0xfb2f);
  g_assert_cmpuint (h.reply_id, ==, 0);
  g_assert_cmpuint (payload_len, ==, 0);
}

static void
test_bad_checksum_rejected (void)
{
  guint8 packet[] = { 0xd0, 0x07, 0xff, 0xfc, 0x2f, 0xfb, 0x00, 0x00 };
  ZkHeader h;

  g_assert_true (zk_packet_parse (packet, sizeof packet, TRUE, &h, NULL, NULL));
  packet[2] ^= 1;
  g_assert_false (zk_packet_parse (packet, sizeof packet, TRUE, &h, NULL, NULL));
  /* without verification the header is still readable */
  g_assert_true (zk_packet_parse (packet, sizeof packet, FALSE, &h, NULL, NULL));
  g_assert_false (zk_packet_parse (packet, 7, FALSE, &h, NULL, NULL));
  g_assert_false (zk_packet_parse (NULL, 0, FALSE, &h, NULL, NULL));
}

static void
test_checksum_equivalent_encodings (void)
{
  /* 0x0000 and 0xffff are the same one's-complement checksum */
  g_autoptr (GByteArray) p = g_byte_array_new ();
  guint16 sum;

  zk_packet_append (p, 0xffff, 0, 0, NULL, 0);
  sum = zk_read_u16 (p->data + 2);
  g_assert_true (sum == 0 || sum == 0xffff);
  zk_write_u16 (p->data + 2, sum == 0 ? 0xffff : 0);
  g_assert_true (zk_packet_parse (p->data, p->len, TRUE, NULL, NULL, NULL));
}

static void
test_round_trip_odd_payload (void)
{
  g_autoptr (GByteArray) p = g_byte_array_new ();
  const guint8 payload[] = { 1, 2, 3, 4, 5 };
  ZkHeader h;
  const guint8 *got;
  gsize got_len;

  zk_packet_append (p, ZK_CMD_OPTIONS_RRQ, 0x1234, 0xfffe, payload, sizeof payload);
  g_assert_true (zk_packet_parse (p->data, p->len, TRUE, &h, &got, &got_len));
  g_assert_cmpuint (h.command, ==, ZK_CMD_OPTIONS_RRQ);
  g_assert_cmphex (h.session_id, ==, 0x1234);
  g_assert_cmphex (h.reply_id, ==, 0xfffe);
  g_assert_cmpmem (got, got_len, payload, sizeof payload);
  g_assert_cmpuint (zk_reply_id_next (0xffff), ==, 0);
}

static void
test_tcp_wrapper (void)
{
  guint8 w[8];
  guint32 len = 0;

  zk_tcp_wrapper_write (w, 0x01020304);
  g_assert_true (zk_tcp_wrapper_parse (w, &len));
  g_assert_cmphex (len, ==, 0x01020304);
  w[2] = 0x83;
  g_assert_false (zk_tcp_wrapper_parse (w, &len));
}

static void
test_commkey_vectors (void)
{
  const guint8 key12[] = { 0x61, 0x4d, 0x32, 0x3c };
  const guint8 key45[] = { 0x61, 0xc9, 0x32, 0x3c };
  const guint8 auth45[] = { 0x50, 0x50, 0x82, 0x7d, 0x0c, 0x00, 0x00, 0x00, 0x4e, 0x04,
                            0x4d, 0xb0, 0xcf, 0x45, 0x01, 0x00, 0x61, 0xc9, 0x32, 0x3c };
  g_autoptr (GByteArray) built = g_byte_array_new ();
  guint8 out[4];

  zk_commkey_make (12, 0x45cf, 0x32, out);
  g_assert_cmpmem (out, 4, key12, 4);
  zk_commkey_make (45, 0x45cf, 0x32, out);
  g_assert_cmpmem (out, 4, key45, 4);

  zk_packet_append_tcp (built, ZK_CMD_AUTH, 0x45cf, 1, out, 4);
  g_assert_cmpmem (built->data, built->len, auth45, sizeof auth45);

  g_assert_true (zk_commkey_check (45, 0x45cf, key45, 4));
  g_assert_true (zk_commkey_check (12, 0x45cf, key12, 4));
  g_assert_false (zk_commkey_check (12, 0x45cf, key45, 4));
  g_assert_false (zk_commkey_check (45, 0x45cf, key45, 3));
}

static void
test_commkey_any_ticks (void)
{
  guint32 keys[] = { 0, 1, 12, 45, 999999, 0xffffff, 0xffffffff };
  guint i, t;

  for (i = 0; i < G_N_ELEMENTS (keys); i++)
    for (t = 1; t < 256; t += 17)
      {
        guint8 out[4];

        zk_commkey_make (keys[i], 0x1234, (guint8)t, out);
        g_assert_true (zk_commkey_check (keys[i], 0x1234, out, 4));
        g_assert_false (zk_commkey_check (keys[i] ^ 0x10, 0x1234, out, 4));
      }
}

static void
test_commkey_low_session_byte_irrelevant (void)
{
  /* for keys < 2^24 the low byte of the session lands in the replaced byte */
  guint32 key;

  for (key = 1; key < (1u << 24); key = key * 7 + 3)
    {
      guint8 a[4], b[4];

      zk_commkey_make (key, 0x4500, 0x32, a);
      zk_commkey_make (key, 0x45ff, 0x32, b);
      g_assert_cmpmem (a, 4, b, 4);
    }
}

static void
test_command_names (void)
{
  g_assert_cmpstr (zk_command_name (ZK_CMD_CONNECT), ==, "CONNECT");
  g_assert_cmpstr (zk_command_name (ZK_CMD_READ_DATA), ==, "READ_DATA");
  g_assert_cmpstr (zk_command_name (ZK_ACK_UNAUTH), ==, "ACK_UNAUTH");
  g_assert_cmpstr (zk_command_name (4242), ==, "UNKNOWN");
}

/* §1.5: an ACK_ERROR's session field is a sub-code only when the handler
 * wrote one; otherwise it is the session id the request carried */
static void
test_ack_error_subcode (void)
{
  g_assert_cmpint (zk_ack_error_subcode (ZK_SUBCODE_NOT_FOUND, 0xd9f8), ==, 2);
  g_assert_cmpint (zk_ack_error_subcode (ZK_SUBCODE_IO, 0), ==, 1);
  /* the echoed session id, a zero and a large number are none */
  g_assert_cmpint (zk_ack_error_subcode (0xd9f8, 0xd9f8), ==, -1);
  g_assert_cmpint (zk_ack_error_subcode (0, 0xd9f8), ==, -1);
  g_assert_cmpint (zk_ack_error_subcode (0xd9f7, 0xd9f8), ==, -1);
  g_assert_cmpint (zk_ack_error_subcode (ZK_SUBCODE_MAX, 0xd9f8), ==, ZK_SUBCODE_MAX);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/packet/checksum-vectors", test_checksum_vectors);
  g_test_add_func ("/packet/connect-capture", test_connect_capture);
  g_test_add_func ("/packet/bad-checksum", test_bad_checksum_rejected);
  g_test_add_func ("/packet/checksum-0000-ffff", test_checksum_equivalent_encodings);
  g_test_add_func ("/packet/round-trip", test_round_trip_odd_payload);
  g_test_add_func ("/packet/tcp-wrapper", test_tcp_wrapper);
  g_test_add_func ("/packet/commkey-vectors", test_commkey_vectors);
  g_test_add_func ("/packet/commkey-any-ticks", test_commkey_any_ticks);
  g_test_add_func ("/packet/commkey-session-low-byte", test_commkey_low_session_byte_irrelevant);
  g_test_add_func ("/packet/command-names", test_command_names);
  g_test_add_func ("/packet/ack-error-subcode", test_ack_error_subcode);
  return g_test_run ();
}
