/* test-zk.c — helpers of the ZkClient tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "test-zk.h"

ZkClient *
test_zk_client_new (guint16 port, ZkTransport transport, guint timeout_ms)
{
  ZkClient *client = zk_client_new ("127.0.0.1", port, transport);

  zk_client_set_timeout (client, timeout_ms);
  return client;
}

GPtrArray *
test_zk_read (ZkClient *client, ZkTable table)
{
  g_autoptr (GError) error = NULL;
  GPtrArray *records;

  switch (table)
    {
    case ZK_TABLE_USERS:
      records = zk_client_read_users (client, NULL, NULL, &error);
      break;
    case ZK_TABLE_TEMPLATES:
      records = zk_client_read_templates (client, NULL, NULL, &error);
      break;
    case ZK_TABLE_ATTENDANCE:
    case ZK_N_TABLES:
    default:
      records = zk_client_read_attendance (client, NULL, NULL, &error);
      break;
    }
  g_assert_no_error (error);
  g_assert_nonnull (records);
  return records;
}

void
test_zk_assert_stats (ZkClient *client, gint64 retries, gint64 reconnects)
{
  ZkClientStats stats;

  zk_client_get_stats (client, &stats);
  if (retries >= 0)
    g_assert_cmpuint (stats.retries, ==, (guint64)retries);
  if (reconnects >= 0)
    g_assert_cmpuint (stats.reconnects, ==, (guint64)reconnects);
}

GBytes *
test_zk_template_bytes (gsize size, guint8 seed)
{
  guint8 *data = g_malloc (size);

  for (gsize i = 0; i < size; i++)
    data[i] = (guint8)(seed + i * 7);
  if (size > 6)
    memcpy (data + 2, "SS21", 4);
  return g_bytes_new_take (data, size);
}

ZkUser *
test_zk_user_new (guint16 uid, const char *user_id, const char *name)
{
  ZkUser *user = zk_user_new ();

  user->uid = uid;
  g_strlcpy (user->user_id, user_id, sizeof user->user_id);
  g_free (user->name);
  user->name = g_strdup (name);
  user->card = 4242;
  user->group = 1;
  g_strlcpy (user->password, "123", sizeof user->password);
  return user;
}

/* ------------------------------------------------------------ calls */

static gpointer
call_thread (gpointer data)
{
  TestZkCall *call = data;
  gint64 start = g_get_monotonic_time ();

  switch (call->kind)
    {
    case TEST_ZK_CALL_USERS:
      call->result
          = zk_client_read_users (call->client, call->warnings, call->cancellable, &call->error);
      call->ok = call->result != NULL;
      break;
    case TEST_ZK_CALL_TEMPLATES:
      call->result = zk_client_read_templates (call->client, call->warnings, call->cancellable,
                                               &call->error);
      call->ok = call->result != NULL;
      break;
    case TEST_ZK_CALL_ATTENDANCE:
      call->result = zk_client_read_attendance (call->client, call->warnings, call->cancellable,
                                                &call->error);
      call->ok = call->result != NULL;
      break;
    case TEST_ZK_CALL_INFO:
      call->ok = zk_client_get_info (call->client, &call->info, call->cancellable, &call->error);
      break;
    case TEST_ZK_CALL_CONNECT:
      call->ok = zk_client_connect (call->client, call->cancellable, &call->error);
      break;
    case TEST_ZK_CALL_DISCONNECT:
    default:
      call->ok = zk_client_disconnect (call->client, call->cancellable, &call->error);
      break;
    }
  call->took_us = g_get_monotonic_time () - start;
  g_atomic_int_set (&call->done, 1);
  return NULL;
}

TestZkCall *
test_zk_call_new (ZkClient *client, TestZkCallKind kind)
{
  TestZkCall *call = g_new0 (TestZkCall, 1);

  call->client = g_object_ref (client);
  call->kind = kind;
  call->cancellable = g_cancellable_new ();
  call->warnings = g_ptr_array_new_with_free_func (g_free);
  return call;
}

void
test_zk_call_free (TestZkCall *call)
{
  g_object_unref (call->client);
  g_object_unref (call->cancellable);
  g_ptr_array_unref (call->warnings);
  g_clear_pointer (&call->result, g_ptr_array_unref);
  zk_device_info_clear (&call->info);
  g_clear_error (&call->error);
  g_free (call);
}

/* runs @call; cancels it after @cancel_after_ms (0 = never); fails the
 * test when it has not returned after @bound_s (the thread is left: the
 * test process ends with the failure) */
void
test_zk_call_run (TestZkCall *call, guint cancel_after_ms, guint bound_s)
{
  GThread *thread = g_thread_new ("call", call_thread, call);
  gint64 start = g_get_monotonic_time ();
  gboolean cancelled = FALSE;

  while (!g_atomic_int_get (&call->done))
    {
      gint64 elapsed = g_get_monotonic_time () - start;

      if (cancel_after_ms > 0 && !cancelled && elapsed >= (gint64)cancel_after_ms * 1000)
        {
          g_cancellable_cancel (call->cancellable);
          cancelled = TRUE;
        }
      if (elapsed > (gint64)bound_s * G_USEC_PER_SEC)
        g_error ("the call still waits after %u s: a hostile terminal holds it", bound_s);
      g_usleep (5 * 1000);
    }
  g_thread_join (thread);
}
