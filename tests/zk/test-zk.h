/* test-zk.h — helpers of the ZkClient tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One style for the tests of tests/zk: reads and writes that must work
 * are one call that asserts it, a client's counters are checked in one
 * line, and a call that a terminal might hold runs on a thread of its
 * own (TestZkCall), bounded, so that a client that hangs fails the test
 * with a message instead of hanging it.
 */
#pragma once

#include "zk-client.h"

G_BEGIN_DECLS

/* a client for 127.0.0.1:@port with the per-call timeout @timeout_ms */
ZkClient *test_zk_client_new (guint16 port, ZkTransport transport, guint timeout_ms);

/* a whole table, read with no error */
GPtrArray *test_zk_read (ZkClient *client, ZkTable table);
/* the client's re-sends and reconnects so far (-1: any number) */
void test_zk_assert_stats (ZkClient *client, gint64 retries, gint64 reconnects);
/* @size bytes shaped like a ZKFinger 10 template ("SS21" at 2), from @seed */
GBytes *test_zk_template_bytes (gsize size, guint8 seed);
/* a user with a name, card 4242, password "123" */
ZkUser *test_zk_user_new (guint16 uid, const char *user_id, const char *name);

/* one blocking call on a thread of its own */
typedef enum
{
  TEST_ZK_CALL_USERS,
  TEST_ZK_CALL_TEMPLATES,
  TEST_ZK_CALL_ATTENDANCE,
  TEST_ZK_CALL_INFO,
  TEST_ZK_CALL_CONNECT,
  TEST_ZK_CALL_DISCONNECT,
} TestZkCallKind;

typedef struct
{
  ZkClient *client;
  TestZkCallKind kind;
  GCancellable *cancellable;
  GPtrArray *warnings;
  GPtrArray *result; /* the records a read brought */
  ZkDeviceInfo info;
  gboolean ok;
  GError *error;
  gint64 took_us;
  gint done;
} TestZkCall;

TestZkCall *test_zk_call_new (ZkClient *client, TestZkCallKind kind);
void test_zk_call_free (TestZkCall *call);
/* runs @call; cancels it after @cancel_after_ms (0 = never); fails the
 * test when it has not returned after @bound_s */
void test_zk_call_run (TestZkCall *call, guint cancel_after_ms, guint bound_s);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TestZkCall, test_zk_call_free)

G_END_DECLS
