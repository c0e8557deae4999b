/* zk-client-fuzz.c — ZkClient's reply handling on arbitrary device bytes
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The entry of fuzz-client and of a unit test that keeps it working.
 * White-box: a failed connect still leaves a session to work in, so the
 * reads and writes after it reach their parsers.
 */
#include "config.h"

#include "zk-client-fuzz.h"
#include "zk-client-private.h"
#include "zk-feed-connection.h"

/* what one table read may take here: a fuzzer's input is at most 70 kB,
 * a larger announced table only costs time and memory */
#define FUZZ_TABLE_MAX (1024 * 1024)

static void
limit_reads (ZkClient *client, const ZkSizes *sizes)
{
  /* limits from whatever sizes the input made up, within reason */
  zk_client_limit_reads_to (client, sizes);
  for (guint table = 0; table < ZK_N_TABLES; table++)
    {
      ZkReadLimit limit;

      zk_client_get_read_limit (client, table, &limit);
      limit.max_bytes = MIN (limit.max_bytes, FUZZ_TABLE_MAX);
      zk_client_set_read_limit (client, table, &limit);
    }
}

static void
read_everything (ZkClient *client)
{
  g_autoptr (GPtrArray) warnings = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) users = NULL;
  g_autoptr (GPtrArray) templates = NULL;
  g_autoptr (GPtrArray) records = NULL;
  g_autoptr (GPtrArray) range = NULL;
  g_autoptr (GPtrArray) faces = NULL;
  g_autoptr (ZkTemplate) tmpl = NULL;
  ZkDeviceInfo info = { 0 };
  ZkTime time;

  zk_client_get_info (client, &info, NULL, NULL);
  limit_reads (client, &info.sizes);
  zk_device_info_clear (&info);
  users = zk_client_read_users (client, warnings, NULL, NULL);
  templates = zk_client_read_templates (client, warnings, NULL, NULL);
  records = zk_client_read_attendance (client, warnings, NULL, NULL);
  range = zk_client_read_attendance_range (client, 2, 3, warnings, NULL, NULL);
  tmpl = zk_client_read_template (client, 1, 0, NULL, NULL);
  faces = zk_client_read_faces (client, 1, NULL, NULL);
  zk_client_get_time (client, &time, NULL, NULL);
}

static void
write_something (ZkClient *client)
{
  g_autoptr (ZkUser) user = zk_user_new ();
  g_autoptr (GBytes) bytes = g_bytes_new_static ("SS21template", 12);
  g_autoptr (ZkTemplate) upload = zk_template_new (1, 0, 1, bytes);

  user->uid = 1;
  g_strlcpy (user->user_id, "1", sizeof user->user_id);
  zk_client_set_user (client, user, NULL, NULL);
  zk_client_write_template (client, upload, NULL, NULL);
  zk_client_delete_user (client, 1, NULL, NULL);
}

void
zk_client_feed_reply_for_fuzzing (const guint8 *data, gsize size)
{
  g_autoptr (ZkConnection) feed = zk_feed_connection_new (data, size);
  g_autoptr (ZkClient) client = zk_client_new_with_connection (feed, ZK_TRANSPORT_TCP);

  zk_client_set_comm_key (client, 1);
  zk_client_set_timeout (client, 1);
  zk_client_connect (client, NULL, NULL);
  client->ever_connected = TRUE;
  client->connected = TRUE;
  read_everything (client);
  write_something (client);
  zk_client_disconnect (client, NULL, NULL);
}
