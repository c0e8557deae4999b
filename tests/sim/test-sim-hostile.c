/* test-sim-hostile.c — the simulator as a hostile terminal
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Each hostile mode of docs/SIMULATOR.md does what it says, at the level
 * of packets (the firmware side, no client involved), from every place a
 * mode is set: fixtures, the control socket and the state edits. The big
 * tables are generated on demand: the simulator never holds them.
 */
#include "config.h"

#include <string.h>

#include "test-sim.h"
#include "zk-sim-fixture.h"
#include "zk-packet.h"

/* ------------------------------------------------------------ a session */

typedef struct
{
  ZkSimDevice *device;
  ZkSimSession *session;
  guint16 session_id;
  guint16 reply_id;
  ZkSimDisposition disp; /* of the last request */
} Peer;

static GPtrArray *
peer_request (Peer *peer, guint16 command, const void *payload, gsize len)
{
  g_autoptr (GByteArray) packet = g_byte_array_new ();

  zk_sim_shape_clear (&peer->disp.shape);
  zk_packet_append (packet, command, peer->session_id, ++peer->reply_id, payload, len);
  return zk_sim_session_handle_packet (peer->session, packet->data, packet->len, &peer->disp);
}

static Peer *
peer_new (ZkSimDevice *device)
{
  Peer *peer = g_new0 (Peer, 1);
  g_autoptr (GPtrArray) out = NULL;
  ZkHeader header;

  peer->device = g_object_ref (device);
  peer->session = zk_sim_session_new (device, ZK_SIM_TRANSPORT_TCP);
  out = peer_request (peer, ZK_CMD_CONNECT, NULL, 0);
  g_assert_cmpuint (out->len, ==, 1);
  g_assert_true (zk_packet_parse (g_bytes_get_data (out->pdata[0], NULL),
                                  g_bytes_get_size (out->pdata[0]), TRUE, &header, NULL, NULL));
  g_assert_cmpuint (header.command, ==, ZK_ACK_OK);
  peer->session_id = header.session_id;
  return peer;
}

static void
peer_free (Peer *peer)
{
  zk_sim_shape_clear (&peer->disp.shape);
  zk_sim_session_free (peer->session);
  g_object_unref (peer->device);
  g_free (peer);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Peer, peer_free)

/* header and payload of packet @i */
static ZkHeader
packet_at (GPtrArray *out, guint i, const guint8 **payload, gsize *len)
{
  ZkHeader header;

  g_assert_cmpuint (i, <, out->len);
  g_assert_true (zk_packet_parse (g_bytes_get_data (out->pdata[i], NULL),
                                  g_bytes_get_size (out->pdata[i]), TRUE, &header, payload, len));
  return header;
}

static ZkSimDevice *
device_new (const char *extra)
{
  TestSimDeviceSpec spec
      = { .name = "H", .users = 20, .fingers_per_user = 1, .records = 200, .extra = extra };
  g_autofree char *json = test_sim_fixture (&spec, 1);
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) devices = zk_sim_fixture_load_from_data (json, strlen (json), &error);

  g_assert_no_error (error);
  return g_object_ref (devices->pdata[0]);
}

static void
fault (ZkSimDevice *device, const char *line)
{
  g_auto (GStrv) argv = g_strsplit (line, " ", -1);
  g_autoptr (GError) error = NULL;

  g_assert_true (
      zk_sim_device_apply_fault (device, argv[0], (const char *const *)argv + 1, &error));
  g_assert_no_error (error);
}

static const guint8 query_users[11]
    = { 1, ZK_CMD_USERTEMP_RRQ, 0, ZK_FCT_USER, 0, 0, 0, 0, 0, 0, 0 };
static const guint8 query_logs[11] = { 1, ZK_CMD_ATTLOG_RRQ, 0, 0, 0, 0, 0, 0, 0, 0, 0 };

/* 1503: the size the 1503 answer announces */
static guint32
query_size (Peer *peer, const guint8 query[11])
{
  g_autoptr (GPtrArray) out = peer_request (peer, ZK_CMD_QUERY_DATA, query, 11);
  const guint8 *payload;
  gsize len;
  ZkHeader h = packet_at (out, 0, &payload, &len);

  g_assert_cmpuint (h.command, ==, ZK_ACK_OK);
  g_assert_cmpuint (len, ==, 13);
  return zk_read_u32 (payload + 1);
}

/* 1504: @length bytes at @offset of the buffer, reassembled */
static GByteArray *
read_slice (Peer *peer, guint32 offset, guint32 length)
{
  g_autoptr (GPtrArray) out = NULL;
  GByteArray *data = g_byte_array_new ();
  guint8 request[8];

  zk_write_u32 (request, offset);
  zk_write_u32 (request + 4, length);
  out = peer_request (peer, ZK_CMD_READ_DATA, request, sizeof request);
  for (guint i = 0; i < out->len; i++)
    {
      const guint8 *payload;
      gsize len;
      ZkHeader h = packet_at (out, i, &payload, &len);

      if (h.command == ZK_CMD_DATA)
        g_byte_array_append (data, payload, (guint)len);
    }
  return data;
}

/* ------------------------------------------------------------ the modes */

static void
test_million_users (void)
{
  g_autoptr (ZkSimDevice) device = device_new ("\"hostile\":[\"million-users\"]");
  g_autoptr (Peer) peer = peer_new (device);
  g_autoptr (GPtrArray) sizes_out = peer_request (peer, ZK_CMD_GET_FREE_SIZES, NULL, 0);
  g_autoptr (GByteArray) head = NULL;
  g_autoptr (GByteArray) tail = NULL;
  g_autoptr (GPtrArray) users = NULL;
  g_autoptr (ZkSkips) skips = zk_skips_new ();
  g_autoptr (GPtrArray) held = zk_sim_device_dup_users (device);
  g_autoptr (GError) error = NULL;
  const guint8 *payload;
  gsize len;
  ZkSizes sizes;
  guint32 size;

  /* the device counts the users it announces */
  packet_at (sizes_out, 0, &payload, &len);
  g_assert_true (zk_sizes_decode (payload, len, &sizes, NULL));
  g_assert_cmpint (sizes.users, ==, 1000000);
  size = query_size (peer, query_users);
  g_assert_cmpuint (size, ==, 4 + 1000000u * 72);

  /* well-formed users, at the start and at the very end */
  head = read_slice (peer, 0, 4 + 72 * 10);
  g_assert_cmpuint (zk_read_u32 (head->data), ==, 1000000u * 72);
  users = zk_users_decode (head->data + 4, head->len - 4, 10, 72, NULL, NULL, skips, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (users->len, ==, 10);
  g_assert_cmpuint (zk_skips_count (skips, NULL), ==, 0);
  g_assert_cmpstr (((ZkUser *)users->pdata[0])->user_id, ==, "800000000");
  tail = read_slice (peer, size - 72, 72);
  g_assert_cmpuint (tail->len, ==, 72);
  g_assert_cmpuint (zk_read_u16 (tail->data), ==, 1 + (1000000 - 1) % 65534);

  /* generated on demand: the device holds only its own users */
  g_assert_cmpuint (held->len, ==, 20);
}

static void
test_malformed_records (void)
{
  g_autoptr (ZkSimDevice) device = device_new ("\"hostile\":[\"malformed-records 300\"]");
  g_autoptr (Peer) peer = peer_new (device);
  g_autoptr (GByteArray) slice = NULL;
  g_autoptr (GPtrArray) users = NULL;
  g_autoptr (GPtrArray) logs = NULL;
  g_autoptr (ZkSkips) skips = zk_skips_new ();
  guint32 size;

  size = query_size (peer, query_users);
  g_assert_cmpuint (size, >, 299u * 1024 * 1024);
  slice = read_slice (peer, 4, 72 * 100);
  users = zk_users_decode (slice->data, slice->len, 0, 72, NULL, NULL, skips, NULL);
  g_assert_cmpuint (users->len, ==, 0);
  g_assert_cmpuint (zk_skips_count (skips, NULL), ==, 100);

  size = query_size (peer, query_logs);
  g_assert_cmpuint (size, >, 299u * 1024 * 1024);
  g_clear_pointer (&slice, g_byte_array_unref);
  slice = read_slice (peer, 4 + 40 * 1000, 40 * 50);
  logs = zk_attendance_decode (slice->data, slice->len, 0, 40, NULL, skips, NULL);
  g_assert_cmpuint (logs->len, ==, 0);
  g_assert_cmpuint (zk_skips_count (skips, NULL), ==, 150);

  /* a slice beyond the table is refused like any other */
  g_clear_pointer (&slice, g_byte_array_unref);
  slice = read_slice (peer, size, 1);
  g_assert_cmpuint (slice->len, ==, 0);
}

static void
test_lying_lengths (void)
{
  g_autoptr (ZkSimDevice) device = device_new (NULL);
  g_autoptr (Peer) peer = peer_new (device);
  const guint8 *payload;
  gsize len;
  guint32 real;

  real = query_size (peer, query_logs);
  fault (device, "lying-length table-more");
  g_assert_cmpuint (query_size (peer, query_logs), ==, real + 4096);
  fault (device, "lying-length table-huge");
  g_assert_cmpuint (query_size (peer, query_logs), ==, 0xfffff000u);

  fault (device, "lying-length prepare-more");
  {
    g_autoptr (GPtrArray) out = NULL;
    gsize sent = 0;

    query_size (peer, query_logs);
    out = peer_request (peer, ZK_CMD_READ_DATA, "\0\0\0\0\xa0\x0f\0\0", 8);
    g_assert_cmpuint (packet_at (out, 0, &payload, &len).command, ==, ZK_CMD_PREPARE_DATA);
    for (guint i = 1; i < out->len; i++)
      if (packet_at (out, i, NULL, &len).command == ZK_CMD_DATA)
        sent += len;
    g_assert_cmpuint (sent, ==, 4000);
    g_assert_cmpuint (zk_read_u32 (payload), ==, 4000 + 4096);
  }
  fault (device, "lying-length prepare-less");
  {
    g_autoptr (GPtrArray) out = peer_request (peer, ZK_CMD_READ_DATA, "\0\0\0\0\xa0\x0f\0\0", 8);

    packet_at (out, 0, &payload, &len);
    g_assert_cmpuint (zk_read_u32 (payload), ==, 2000);
  }
}

static void
test_endless_stream (void)
{
  g_autoptr (ZkSimDevice) device = device_new (NULL);
  g_autoptr (Peer) peer = peer_new (device);
  g_autoptr (GPtrArray) out = NULL;
  const guint8 *payload;
  gsize len;

  fault (device, "endless-stream");
  query_size (peer, query_logs);
  out = peer_request (peer, ZK_CMD_READ_DATA, "\0\0\0\0\xa0\x0f\0\0", 8);
  /* PREPARE_DATA and all DATA but the last; then empty DATA for ever */
  g_assert_cmpuint (packet_at (out, 0, &payload, &len).command, ==, ZK_CMD_PREPARE_DATA);
  g_assert_cmpuint (packet_at (out, out->len - 1, NULL, &len).command, ==, ZK_CMD_DATA);
  g_assert_nonnull (peer->disp.shape.tail);
  g_assert_cmpuint (peer->disp.shape.tail_count, ==, ZK_SIM_FOREVER);
  {
    ZkHeader h;

    g_assert_true (zk_packet_parse (g_bytes_get_data (peer->disp.shape.tail, NULL),
                                    g_bytes_get_size (peer->disp.shape.tail), TRUE, &h, NULL,
                                    &len));
    g_assert_cmpuint (h.command, ==, ZK_CMD_DATA);
    g_assert_cmpuint (h.reply_id, ==, peer->reply_id);
    g_assert_cmpuint (len, ==, 0);
  }
}

static void
test_floods (void)
{
  g_autoptr (ZkSimDevice) device = device_new ("\"hostile\":[\"event-flood 40\"]");
  g_autoptr (Peer) peer = peer_new (device);
  g_autoptr (GPtrArray) out = NULL;
  ZkHeader h;

  out = peer_request (peer, ZK_CMD_GET_TIME, NULL, 0);
  g_assert_cmpuint (out->len, ==, 1);
  g_assert_nonnull (peer->disp.shape.junk);
  g_assert_cmpuint (peer->disp.shape.junk_count, ==, 40);
  g_assert_true (zk_packet_parse (g_bytes_get_data (peer->disp.shape.junk, NULL),
                                  g_bytes_get_size (peer->disp.shape.junk), TRUE, &h, NULL, NULL));
  g_assert_cmpuint (h.command, ==, ZK_CMD_REG_EVENT);

  fault (device, "clear");
  fault (device, "reply-id-flood");
  g_clear_pointer (&out, g_ptr_array_unref);
  out = peer_request (peer, ZK_CMD_GET_TIME, NULL, 0);
  g_assert_cmpuint (peer->disp.shape.junk_count, ==, ZK_SIM_FOREVER);
  g_assert_true (zk_packet_parse (g_bytes_get_data (peer->disp.shape.junk, NULL),
                                  g_bytes_get_size (peer->disp.shape.junk), TRUE, &h, NULL, NULL));
  g_assert_cmpuint (h.command, ==, ZK_ACK_OK);
  g_assert_cmpuint (h.reply_id, !=, peer->reply_id);

  /* a session is still made: floods stall exchanges, not CONNECT */
  {
    g_autoptr (Peer) other = peer_new (device);

    g_assert_null (other->disp.shape.junk);
  }
}

static void
test_option_answer (void)
{
  g_autoptr (ZkSimDevice) device = device_new (NULL);
  g_autoptr (Peer) peer = peer_new (device);
  static const struct
  {
    const char *answer;
    gint command; /* -1: no answer at all */
  } cases[] = {
    { "error", ZK_ACK_ERROR },
    { "unknown", ZK_ACK_UNKNOWN },
    { "silent", -1 },
    { "normal", ZK_ACK_OK },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *line = g_strdup_printf ("option-answer ~ZKFPVersion %s", cases[i].answer);
      g_autoptr (GPtrArray) out = NULL;
      g_autoptr (GPtrArray) other = NULL;

      fault (device, line);
      out = peer_request (peer, ZK_CMD_OPTIONS_RRQ, "~ZKFPVersion", 13);
      if (cases[i].command < 0)
        g_assert_cmpuint (out->len, ==, 0);
      else
        g_assert_cmpuint (packet_at (out, 0, NULL, NULL).command, ==, (guint)cases[i].command);
      /* only that option */
      other = peer_request (peer, ZK_CMD_OPTIONS_RRQ, "~Platform", 10);
      g_assert_cmpuint (packet_at (other, 0, NULL, NULL).command, ==, ZK_ACK_OK);
    }
}

static void
test_dirty_strings (void)
{
  g_autoptr (ZkSimDevice) device = device_new ("\"hostile\":[\"dirty-strings\"]");
  g_autoptr (GPtrArray) users = zk_sim_device_dup_users (device);
  g_autoptr (GPtrArray) logs = zk_sim_device_dup_attendance (device);
  g_autofree char *dump = NULL;
  g_autoptr (GPtrArray) again = NULL;
  g_autoptr (GPtrArray) users_again = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  guint dirty = 0;

  g_assert_cmpuint (users->len, ==, 25);
  g_assert_cmpuint (zk_sim_device_count (device, "fingers"), ==, 25);
  g_assert_cmpuint (zk_sim_device_count (device, "faces"), ==, 5);
  g_assert_cmpuint (logs->len, ==, 205);
  for (guint i = 0; i < users->len; i++)
    dirty += !zk_text_identity_is_clean (((ZkUser *)users->pdata[i])->user_id, -1);
  g_assert_cmpuint (dirty, ==, 4);

  /* the dump is JSON (bytes JSON cannot carry go hex) and loads back the same */
  {
    g_autoptr (GPtrArray) one = g_ptr_array_new ();

    g_ptr_array_add (one, device);
    dump = zk_sim_fixture_dump (one, FALSE);
  }
  g_assert_true (g_utf8_validate (dump, -1, NULL));
  g_assert_null (strchr (dump, 0x1f));
  g_assert_true (json_parser_load_from_data (parser, dump, -1, &error));
  g_assert_no_error (error);
  g_assert_nonnull (strstr (dump, "\"user_id_hex\":\"39fffe32\""));
  again = zk_sim_fixture_load_from_data (dump, strlen (dump), &error);
  g_assert_no_error (error);
  users_again = zk_sim_device_dup_users (again->pdata[0]);
  g_assert_cmpuint (users_again->len, ==, users->len);
  for (guint i = 0; i < users->len; i++)
    {
      ZkUser *a = users->pdata[i], *b = users_again->pdata[i];

      g_assert_cmpstr (a->user_id, ==, b->user_id);
      g_assert_cmpstr (a->name, ==, b->name);
    }
  /* data, not a behaviour: it cannot be armed for later */
  g_assert_false (zk_sim_device_apply_fault (
      device, "after-command", (const char *const[]){ "11", "dirty-strings", NULL }, &error));
  g_assert_error (error, ZK_ERROR, ZK_ERROR_INVALID_ARGUMENT);
}

static void
test_lines (void)
{
  g_autoptr (ZkSimDevice) device
      = device_new ("\"hostile\":[\"trickle 30\",\"reply-id-flood 7\",\"lying-length table-more\","
                    "\"malformed-records 5 attendance\",\"option-answer FaceFunOn silent\"]");
  g_auto (GStrv) lines = zk_sim_device_dup_hostile (device);
  g_autofree char *joined = g_strjoinv ("|", lines);
  g_autoptr (GError) error = NULL;
  g_autofree char *bad = NULL;
  g_autoptr (GPtrArray) devices = NULL;

  g_assert_cmpstr (joined, ==,
                   "trickle 30|reply-id-flood 7|lying-length table-more|"
                   "malformed-records 5 attendance|option-answer FaceFunOn silent");
  fault (device, "clear");
  g_clear_pointer (&lines, g_strfreev);
  lines = zk_sim_device_dup_hostile (device);
  g_assert_null (lines[0]);

  bad = g_strdup ("{\"devices\":[{\"hostile\":[\"trickle fast\"]}]}");
  devices = zk_sim_fixture_load_from_data (bad, strlen (bad), &error);
  g_assert_null (devices);
  g_assert_error (error, ZK_ERROR, ZK_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "devices[0].hostile[0]"));
}

/* trickle, end to end: every byte of a reply comes on its own */
static void
test_trickle_server (void)
{
  TestSimDeviceSpec spec = { .name = "T", .users = 2, .extra = "\"hostile\":[\"trickle 20\"]" };
  g_autoptr (TestSim) sim = test_sim_new_specs (&spec, 1);
  g_autoptr (GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) address = g_inet_socket_address_new (lo, test_sim_tcp_port (sim, 0));
  g_autoptr (GSocket) socket = NULL;
  g_autoptr (GByteArray) packet = g_byte_array_new ();
  g_autoptr (GError) error = NULL;
  guint got = 0, reads = 0;

  socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
  g_assert_no_error (error);
  g_assert_true (g_socket_connect (socket, address, NULL, &error));
  zk_packet_append_tcp (packet, ZK_CMD_CONNECT, 0, 0, NULL, 0);
  g_socket_send (socket, (const char *)packet->data, packet->len, NULL, &error);
  g_assert_no_error (error);
  /* the answer: wrapper + 8-byte header, one byte per read */
  while (got < ZK_TCP_WRAPPER_SIZE + ZK_HEADER_SIZE)
    {
      char buf[64];
      gssize n;

      g_socket_set_timeout (socket, 5);
      n = g_socket_receive (socket, buf, sizeof buf, NULL, &error);
      g_assert_no_error (error);
      /* 20 ms apart: a read sees one byte, rarely a few on a loaded machine */
      g_assert_cmpint (n, >=, 1);
      g_assert_cmpint (n, <=, 4);
      got += (guint)n;
      reads++;
    }
  g_assert_cmpuint (reads, >=, 4);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/sim/hostile/million-users", test_million_users);
  g_test_add_func ("/sim/hostile/malformed-records", test_malformed_records);
  g_test_add_func ("/sim/hostile/lying-lengths", test_lying_lengths);
  g_test_add_func ("/sim/hostile/endless-stream", test_endless_stream);
  g_test_add_func ("/sim/hostile/floods", test_floods);
  g_test_add_func ("/sim/hostile/option-answer", test_option_answer);
  g_test_add_func ("/sim/hostile/dirty-strings", test_dirty_strings);
  g_test_add_func ("/sim/hostile/lines", test_lines);
  g_test_add_func ("/sim/hostile/trickle-server", test_trickle_server);

  return g_test_run ();
}
