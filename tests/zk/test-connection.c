/* test-connection.c — ZkConnection's exchanges on a terminal fed from memory
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The wire without a socket: a ZkFeedConnection says what a terminal
 * would (reply id 0 = the request being answered), so the exchange rules
 * are tested packet by packet — and the feed, which the fuzz entry uses,
 * is shown to reach the client's parsers.
 */
#include "config.h"

#include <string.h>

#include "zk-client.h"
#include "zk-feed-connection.h"
#include "zk-packet.h"

#define SESSION 0x4d2

/* PREPARE_DATA, DATA × n and ACK_OK come back as one DATA reply */
static void
test_stream (void)
{
  g_autoptr (GByteArray) input = g_byte_array_new ();
  g_autoptr (ZkConnection) connection = NULL;
  g_autoptr (GError) error = NULL;
  g_auto (ZkReply) reply = { 0 };
  guint8 prepare[8];
  guint8 data[1500];
  ZkConnectionStats stats;

  memset (data, 0x5a, sizeof data);
  zk_write_u32 (prepare, sizeof data);
  zk_write_u32 (prepare + 4, 1008);
  zk_packet_append_tcp (input, ZK_CMD_PREPARE_DATA, SESSION, 0, prepare, sizeof prepare);
  zk_packet_append_tcp (input, ZK_CMD_DATA, 0, 0, data, 1008);
  zk_packet_append_tcp (input, ZK_CMD_DATA, 1, 0, data + 1008, sizeof data - 1008);
  zk_packet_append_tcp (input, ZK_ACK_OK, SESSION, 0, NULL, 0);
  connection = zk_feed_connection_new_open (input, SESSION);

  g_assert_true (
      zk_connection_transact (connection, ZK_CMD_READ_DATA, NULL, 0, 4096, &reply, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (reply.command, ==, ZK_CMD_DATA);
  g_assert_true (reply.streamed);
  g_assert_cmpmem (reply.data->data, reply.data->len, data, sizeof data);
  zk_connection_get_stats (connection, &stats);
  g_assert_cmpuint (stats.requests, ==, 1);
  g_assert_cmpuint (stats.packets_in, ==, 3);
}

/* events are acknowledged and skipped, up to a budget; then it is a flood
 * and the session is out of step */
static void
test_flood (void)
{
  g_autoptr (GByteArray) input = g_byte_array_new ();
  g_autoptr (ZkConnection) connection = NULL;
  g_autoptr (GError) error = NULL;
  g_auto (ZkReply) reply = { 0 };

  for (guint i = 0; i < 300; i++)
    zk_packet_append_tcp (input, ZK_CMD_REG_EVENT, ZK_EF_ATTLOG, 0, NULL, 0);
  zk_packet_append_tcp (input, ZK_ACK_OK, SESSION, 0, NULL, 0);
  connection = zk_feed_connection_new_open (input, SESSION);

  g_assert_false (zk_connection_is_suspect (connection));
  g_assert_false (
      zk_connection_transact (connection, ZK_CMD_GET_TIME, NULL, 0, 4096, &reply, NULL, &error));
  g_assert_error (error, ZK_ERROR, ZK_ERROR_PROTOCOL);
  g_assert_nonnull (strstr (error->message, "floods: 257 packets"));
  g_assert_true (zk_connection_is_suspect (connection));
}

/* §1.5: an ACK_ERROR's session field is a sub-code only where the
 * handler wrote one; the echoed session id is none */
static void
test_ack_error_subcode (void)
{
  g_autoptr (GByteArray) input = g_byte_array_new ();
  g_autoptr (ZkConnection) connection = NULL;
  g_autoptr (GError) error = NULL;

  zk_packet_append_tcp (input, ZK_ACK_ERROR, SESSION, 0, NULL, 0);
  zk_packet_append_tcp (input, ZK_ACK_ERROR, ZK_SUBCODE_NOT_FOUND, 0, NULL, 0);
  connection = zk_feed_connection_new_open (input, SESSION);

  for (guint i = 0; i < 2; i++)
    {
      g_auto (ZkReply) reply = { 0 };

      g_assert_true (zk_connection_transact (connection, ZK_CMD_DELETE_USER, NULL, 0, 4096, &reply,
                                             NULL, &error));
      g_assert_no_error (error);
      g_assert_cmpuint (reply.command, ==, ZK_ACK_ERROR);
      g_assert_cmpint (reply.subcode, ==, i == 0 ? -1 : ZK_SUBCODE_NOT_FOUND);
      zk_reply_to_error (&reply, ZK_CMD_DELETE_USER, &error);
      g_assert_cmpint (zk_error_get_subcode (error), ==, reply.subcode);
      g_clear_error (&error);
    }
}

/* what the fuzz entry relies on: a client on a feed connects and reads a
 * table, its checksums filled in and its reply ids made absolute */
static void
test_feed_reads_users (void)
{
  g_autoptr (GByteArray) input = g_byte_array_new ();
  g_autoptr (GByteArray) sizes = g_byte_array_new ();
  g_autoptr (GByteArray) blob = g_byte_array_new ();
  g_autoptr (ZkConnection) feed = NULL;
  g_autoptr (ZkClient) client = NULL;
  g_autoptr (GPtrArray) users = NULL;
  g_autoptr (GError) error = NULL;
  ZkSizes counts = { .users = 2, .user_capacity = 100 };

  zk_sizes_encode (&counts, 23, sizes);
  zk_append_u32 (blob, 2 * ZK_USER_SIZE_72);
  for (guint uid = 1; uid <= 2; uid++)
    {
      g_autoptr (ZkUser) user = zk_user_new ();

      user->uid = (guint16)uid;
      g_snprintf (user->user_id, sizeof user->user_id, "%u", 100 + uid);
      g_byte_array_set_size (blob, blob->len + ZK_USER_SIZE_72);
      g_assert_true (
          zk_user_encode (user, 72, NULL, blob->data + blob->len - ZK_USER_SIZE_72, NULL));
    }
  zk_packet_append_tcp (input, ZK_ACK_OK, SESSION, 0, NULL, 0);                 /* CONNECT */
  zk_packet_append_tcp (input, ZK_ACK_OK, SESSION, 0, sizes->data, sizes->len); /* sizes */
  zk_packet_append_tcp (input, ZK_CMD_DATA, SESSION, 0, blob->data, blob->len); /* 1503 */
  zk_packet_append_tcp (input, ZK_ACK_OK, SESSION, 0, NULL, 0);                 /* 1502 */
  /* a checksum the feed puts right, as a fuzzer's input never has one */
  input->data[ZK_TCP_WRAPPER_SIZE + 2] ^= 0xff;
  feed = zk_feed_connection_new (input->data, input->len);
  client = zk_client_new_with_connection (feed, ZK_TRANSPORT_TCP);
  zk_client_set_timeout (client, 50);

  g_assert_true (zk_client_connect (client, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (zk_client_get_session_id (client), ==, SESSION);
  g_assert_cmpstr (zk_client_get_host (client), ==, "feed");
  users = zk_client_read_users (client, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (users->len, ==, 2);
  g_assert_cmpstr (((ZkUser *)users->pdata[1])->user_id, ==, "102");
  g_assert_cmpuint (zk_client_get_user_width (client), ==, 72);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/zk/connection/stream", test_stream);
  g_test_add_func ("/zk/connection/flood", test_flood);
  g_test_add_func ("/zk/connection/ack-error-subcode", test_ack_error_subcode);
  g_test_add_func ("/zk/connection/feed-reads-users", test_feed_reads_users);
  return g_test_run ();
}
