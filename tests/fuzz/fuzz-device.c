/* fuzz-device.c — the simulator's firmware on arbitrary request streams
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Input: a sequence of requests, each [u8 flags][u16 command][u16 len]
 * [len bytes]. The harness frames them like a client would (session id
 * from the device, reply id counting up, correct checksum) unless a flag
 * asks for the raw bytes, so the fuzzer reaches the command handlers
 * instead of dying at the checksum check. Bits 3–5 of the first byte turn
 * on hostile modes (docs/SIMULATOR.md), so their code is fuzzed too.
 */
#include "zk-sim-faults.h"
#include "zk-sim-session.h"
#include "zk-sim-fixture.h"
#include "zk-packet.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

/* one device per profile the firmware rules depend on */
static const char fixture[]
    = "{\"devices\":["
      "{\"name\":\"t\",\"face\":\"face7\",\"fp_version\":10,\"pacing_ms\":0,"
      " \"capacity\":{\"users\":20,\"fingers\":40,\"faces\":5,\"records\":50},"
      " \"generate\":{\"users\":3,\"fingers_per_user\":1,\"faces_per_user\":1,\"records\":4,"
      "  \"seed\":1}},"
      "{\"name\":\"k\",\"comm_key\":45,\"user_format\":28,\"attlog_format\":16,\"fp_version\":9,"
      " \"face\":\"none\",\"sizes_ints\":20,\"pacing_ms\":0,"
      " \"generate\":{\"users\":2,\"fingers_per_user\":1,\"records\":2,\"seed\":2}},"
      "{\"name\":\"v\",\"face\":\"vl\",\"attlog_format\":49,\"pacing_ms\":0,"
      " \"generate\":{\"users\":1,\"records\":1,\"seed\":3}}]}";

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  g_autoptr (GPtrArray) devices = NULL;
  ZkSimDevice *device;
  ZkSimSession *session;
  guint16 session_id = 0;
  guint16 reply_id = 0;
  gsize off = 1;

  if (size < 1)
    return 0;
  devices = zk_sim_fixture_load_from_data (fixture, sizeof fixture - 1, NULL);
  g_assert (devices != NULL && devices->len == 3);
  device = devices->pdata[data[0] % 3];
  session
      = zk_sim_session_new (device, (data[0] & 4) ? ZK_SIM_TRANSPORT_UDP : ZK_SIM_TRANSPORT_TCP);
  if (data[0] & 8)
    {
      /* generated tables, paged by the fuzzer's own 1504 requests */
      g_assert (zk_sim_device_apply_fault (device, "million-users",
                                           (const char *const[]){ "70000", NULL }, NULL));
      g_assert (zk_sim_device_apply_fault (device, "malformed-records",
                                           (const char *const[]){ "1", "templates", NULL }, NULL));
    }
  if (data[0] & 16)
    {
      g_assert (zk_sim_device_apply_fault (device, "endless-stream", NULL, NULL));
      g_assert (zk_sim_device_apply_fault (device, "event-flood",
                                           (const char *const[]){ "3", NULL }, NULL));
      g_assert (zk_sim_device_apply_fault (
          device, "option-answer", (const char *const[]){ "~ZKFPVersion", "silent", NULL }, NULL));
    }
  if (data[0] & 32)
    {
      g_assert (zk_sim_device_apply_fault (
          device, "lying-length",
          (const char *const[]){ data[0] & 64 ? "table-more" : "prepare-less", NULL }, NULL));
      /* as far as the profile takes them (capacities) */
      zk_sim_device_add_dirty_records (device, NULL);
    }

  while (off + 5 <= size)
    {
      guint8 flags = data[off];
      guint16 command = zk_read_u16 (data + off + 1);
      gsize len = MIN (zk_read_u16 (data + off + 3), size - off - 5);
      const guint8 *payload = data + off + 5;
      g_autoptr (GPtrArray) replies = NULL;
      g_autoptr (GByteArray) packet = g_byte_array_new ();
      guint i;

      off += 5 + len;
      if (flags & 1)
        g_byte_array_append (packet, payload, (guint)len); /* raw */
      else
        {
          if (!(flags & 2))
            reply_id = zk_reply_id_next (reply_id);
          zk_packet_append (packet, command, session_id, reply_id, payload, len);
        }
      replies = zk_sim_session_handle_packet (session, packet->data, packet->len, NULL);
      g_assert (replies != NULL);
      for (i = 0; i < replies->len; i++)
        {
          gsize n;
          const guint8 *bytes = g_bytes_get_data (replies->pdata[i], &n);
          ZkHeader h;

          /* the device only ever sends well-formed packets */
          g_assert (zk_packet_parse (bytes, n, TRUE, &h, NULL, NULL));
          if (command == ZK_CMD_CONNECT && i == 0
              && (h.command == ZK_ACK_OK || h.command == ZK_ACK_UNAUTH))
            session_id = h.session_id;
        }
    }
  zk_sim_session_free (session);
  return 0;
}
