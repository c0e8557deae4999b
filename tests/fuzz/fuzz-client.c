/* fuzz-client.c — ZkClient's reply handling on arbitrary device streams
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The input is what a hostile device sends over TCP while the client runs
 * a fixed sequence of operations (see zk_client_feed_reply_for_fuzzing).
 */
#include "zk-client-fuzz.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  zk_client_feed_reply_for_fuzzing (data, size);
  return 0;
}
