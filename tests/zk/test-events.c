/* test-events.c — live attendance events: payloads and the listener's wire
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Every EF_ATTLOG payload length ZK-PROTOCOL.md §8.2 lists decodes into
 * the punch its log record holds (captured bytes where the notes give
 * them); other lengths, impossible times and empty PINs are refused, not
 * guessed at. On a terminal fed from memory: events are acked, returned in
 * order, kept while another request runs, and a flood of other packets
 * ends the wait instead of holding it.
 */
#include "config.h"

#include <string.h>

#include "zk-client.h"
#include "zk-feed-connection.h"
#include "zk-packet.h"

#define SESSION 0x4d2

/* the capture of ZK-PROTOCOL.md §8.2: "999111333", 15 × 00, then
 * fingerprint, check-in, 2018-06-25 17:41:05 */
static const guint8 capture32[32]
    = { '9', '9', '9', '1', '1', '1', '3', '3', '3', 0, 0,    0, 0,    0,    0,    0,
        0,   0,   0,   0,   0,   0,   0,   0,   1,   0, 0x12, 6, 0x19, 0x11, 0x29, 5 };

static void
assert_time (const ZkAttendance *att, guint y, guint mo, guint d, guint h, guint mi, guint s)
{
  g_assert_cmpuint (att->time.year, ==, y);
  g_assert_cmpuint (att->time.month, ==, mo);
  g_assert_cmpuint (att->time.day, ==, d);
  g_assert_cmpuint (att->time.hour, ==, h);
  g_assert_cmpuint (att->time.minute, ==, mi);
  g_assert_cmpuint (att->time.second, ==, s);
}

static void
test_decode_tft (void)
{
  guint8 buf[64];
  ZkAttendance att;
  g_autoptr (GError) error = NULL;

  g_assert_true (zk_attendance_decode_event (capture32, sizeof capture32, &att, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (att.user_id, ==, "999111333");
  g_assert_cmpuint (att.verify, ==, 1);
  g_assert_cmpuint (att.state, ==, 0);
  assert_time (&att, 2018, 6, 25, 17, 41, 5);

  /* 36: a work code, and the state with bit 7 as the invalid flag */
  memcpy (buf, capture32, 32);
  buf[25] = 0x80 | 1;
  zk_write_u32 (buf + 32, 77);
  g_assert_true (zk_attendance_decode_event (buf, 36, &att, &error));
  g_assert_cmpuint (att.state, ==, 1);
  g_assert_cmpuint (att.workcode, ==, 77);
  g_assert_cmpstr (att.user_id, ==, "999111333");

  /* 37 and ≥ 52: the 32-byte form and extra bytes */
  memset (buf + 32, 0xee, sizeof buf - 32);
  buf[25] = 4;
  for (gsize len = 37; len < sizeof buf; len = len == 37 ? 52 : len + 6)
    {
      g_assert_true (zk_attendance_decode_event (buf, len, &att, &error));
      g_assert_no_error (error);
      g_assert_cmpstr (att.user_id, ==, "999111333");
      g_assert_cmpuint (att.state, ==, 4);
      assert_time (&att, 2018, 6, 25, 17, 41, 5);
    }
}

static void
test_decode_bw (void)
{
  guint8 buf[14];
  ZkAttendance att;
  g_autoptr (GError) error = NULL;
  const guint8 t6[6] = { 24, 2, 29, 8, 0, 59 };

  /* 12: [u32 PIN number][verify][state][time] */
  zk_write_u32 (buf, 4242);
  buf[4] = 2;
  buf[5] = 1;
  memcpy (buf + 6, t6, 6);
  g_assert_true (zk_attendance_decode_event (buf, 12, &att, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (att.user_id, ==, "4242");
  g_assert_cmpuint (att.verify, ==, 2);
  g_assert_cmpuint (att.state, ==, 1);
  assert_time (&att, 2024, 2, 29, 8, 0, 59);

  /* 10 and 14: [u16 uid][verify][state][time] (+ 4 bytes) */
  zk_write_u16 (buf, 513);
  buf[2] = 1;
  buf[3] = 0;
  memcpy (buf + 4, t6, 6);
  memset (buf + 10, 0xff, 4);
  for (gsize len = 10; len <= 14; len += 4)
    {
      g_assert_true (zk_attendance_decode_event (buf, len, &att, &error));
      g_assert_cmpstr (att.user_id, ==, "513");
      g_assert_cmpuint (att.uid, ==, 513);
      g_assert_cmpuint (att.verify, ==, 1);
      assert_time (&att, 2024, 2, 29, 8, 0, 59);
    }
}

/* lengths nobody sends, lying times and missing PINs are refused */
static void
test_decode_hostile (void)
{
  static const gsize bad_lengths[] = { 0, 1, 6, 9, 11, 13, 15, 31, 33, 35, 38, 40, 51 };
  guint8 buf[64] = { 0 };
  ZkAttendance att;

  memcpy (buf, capture32, 32);
  for (guint i = 0; i < G_N_ELEMENTS (bad_lengths); i++)
    {
      g_autoptr (GError) error = NULL;

      g_assert_false (zk_attendance_decode_event (buf, bad_lengths[i], &att, &error));
      g_assert_error (error, ZK_ERROR, ZK_ERROR_PROTOCOL);
    }
  {
    g_autoptr (GError) error = NULL;

    /* February 30th */
    buf[27] = 2;
    buf[28] = 30;
    g_assert_false (zk_attendance_decode_event (buf, 32, &att, &error));
    g_assert_error (error, ZK_ERROR, ZK_ERROR_PROTOCOL);
    g_assert_nonnull (strstr (error->message, "impossible time"));
  }
  {
    g_autoptr (GError) error = NULL;

    memcpy (buf, capture32, 32);
    memset (buf, 0, 24);
    g_assert_false (zk_attendance_decode_event (buf, 32, &att, &error));
    g_assert_error (error, ZK_ERROR, ZK_ERROR_PROTOCOL);
  }
  {
    g_autoptr (GError) error = NULL;

    /* a PIN with control bytes is kept, escaped: the punch is not lost */
    memcpy (buf, capture32, 32);
    buf[3] = 0x01;
    g_assert_true (zk_attendance_decode_event (buf, 32, &att, &error));
    g_assert_cmpstr (att.user_id, ==, "999\\x0111333");
  }
}

static ZkEvent *
event_new (void)
{
  return g_new0 (ZkEvent, 1);
}

static void
event_free (ZkEvent *event)
{
  zk_event_clear (event);
  g_free (event);
}

/* events from the wire in order, an unknown length among them, then silence */
static void
test_wait_events (void)
{
  g_autoptr (GByteArray) input = g_byte_array_new ();
  g_autoptr (ZkConnection) connection = NULL;
  g_autoptr (ZkClient) client = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) events = g_ptr_array_new_with_free_func ((GDestroyNotify)event_free);
  guint8 odd[33] = { 0 };

  zk_packet_append_tcp (input, ZK_CMD_REG_EVENT, ZK_EF_ATTLOG, 0, capture32, 32);
  zk_packet_append_tcp (input, ZK_CMD_REG_EVENT, ZK_EF_ATTLOG, 0, odd, sizeof odd);
  zk_packet_append_tcp (input, ZK_CMD_REG_EVENT, 2 /* EF_FINGER */, 0, NULL, 0);
  zk_packet_append_tcp (input, ZK_CMD_REG_EVENT, ZK_EF_ATTLOG, 0, capture32, 32);
  connection = zk_feed_connection_new_open (input, SESSION);
  client = zk_client_new_with_connection (connection, ZK_TRANSPORT_TCP);

  for (;;)
    {
      ZkEvent *event = event_new ();

      if (!zk_client_wait_event (client, 50, event, NULL, &error))
        {
          event_free (event);
          break;
        }
      g_ptr_array_add (events, event);
    }
  g_assert_error (error, ZK_ERROR, ZK_ERROR_TIMED_OUT);
  g_assert_cmpuint (events->len, ==, 4);
  g_assert_cmpint (((ZkEvent *)events->pdata[0])->kind, ==, ZK_EVENT_PUNCH);
  g_assert_cmpstr (((ZkEvent *)events->pdata[0])->punch.user_id, ==, "999111333");
  g_assert_cmpint (((ZkEvent *)events->pdata[1])->kind, ==, ZK_EVENT_UNKNOWN);
  g_assert_cmpuint (((ZkEvent *)events->pdata[1])->length, ==, 33);
  g_assert_nonnull (strstr (((ZkEvent *)events->pdata[1])->why, "33 bytes"));
  g_assert_cmpint (((ZkEvent *)events->pdata[2])->kind, ==, ZK_EVENT_OTHER);
  g_assert_cmpint (((ZkEvent *)events->pdata[3])->kind, ==, ZK_EVENT_PUNCH);
}

/* an event that comes while a request waits for its answer is acked and
 * kept for the listener, not lost */
static void
test_event_during_request (void)
{
  g_autoptr (GByteArray) input = g_byte_array_new ();
  g_autoptr (ZkConnection) connection = NULL;
  g_autoptr (GError) error = NULL;
  g_auto (ZkReply) reply = { 0 };
  g_autoptr (ZkRawEvent) raw = NULL;

  zk_packet_append_tcp (input, ZK_CMD_REG_EVENT, ZK_EF_ATTLOG, 0, capture32, 32);
  zk_packet_append_tcp (input, ZK_ACK_OK, SESSION, 0, NULL, 0);
  connection = zk_feed_connection_new_open (input, SESSION);
  zk_connection_set_keep_events (connection, TRUE);

  g_assert_true (
      zk_connection_transact (connection, ZK_CMD_GET_TIME, NULL, 0, 0, &reply, NULL, &error));
  g_assert_no_error (error);
  raw = zk_connection_next_event (connection, g_get_monotonic_time (), NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (raw);
  g_assert_cmpuint (raw->flag, ==, ZK_EF_ATTLOG);
  g_assert_cmpuint (g_bytes_get_size (raw->payload), ==, 32);
  g_assert_cmpuint (zk_connection_get_events_dropped (connection), ==, 0);
}

/* packets that are neither events nor answers end the wait as a flood */
static void
test_junk_flood (void)
{
  g_autoptr (GByteArray) input = g_byte_array_new ();
  g_autoptr (ZkConnection) connection = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (ZkRawEvent) raw = NULL;

  for (guint i = 0; i < 2000; i++)
    zk_packet_append_tcp (input, ZK_ACK_OK, SESSION, 7, NULL, 0);
  connection = zk_feed_connection_new_open (input, SESSION);

  raw = zk_connection_next_event (connection, g_get_monotonic_time () + G_USEC_PER_SEC, NULL,
                                  &error);
  g_assert_null (raw);
  g_assert_error (error, ZK_ERROR, ZK_ERROR_PROTOCOL);
  g_assert_true (zk_connection_is_suspect (connection));
}

/* a flood of events: each is returned (the listener decides what to do),
 * and none is lost or doubled */
static void
test_event_flood (void)
{
  g_autoptr (GByteArray) input = g_byte_array_new ();
  g_autoptr (ZkConnection) connection = NULL;
  g_autoptr (GError) error = NULL;
  guint n = 0;

  for (guint i = 0; i < 5000; i++)
    zk_packet_append_tcp (input, ZK_CMD_REG_EVENT, ZK_EF_ATTLOG, 0, capture32, 32);
  connection = zk_feed_connection_new_open (input, SESSION);
  for (;;)
    {
      g_autoptr (ZkRawEvent) raw
          = zk_connection_next_event (connection, g_get_monotonic_time (), NULL, &error);

      if (raw == NULL)
        break;
      n++;
    }
  g_assert_error (error, ZK_ERROR, ZK_ERROR_TIMED_OUT);
  g_assert_cmpuint (n, ==, 5000);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/events/decode/tft", test_decode_tft);
  g_test_add_func ("/events/decode/bw", test_decode_bw);
  g_test_add_func ("/events/decode/hostile", test_decode_hostile);
  g_test_add_func ("/events/wait", test_wait_events);
  g_test_add_func ("/events/during-request", test_event_during_request);
  g_test_add_func ("/events/junk-flood", test_junk_flood);
  g_test_add_func ("/events/event-flood", test_event_flood);
  return g_test_run ();
}
