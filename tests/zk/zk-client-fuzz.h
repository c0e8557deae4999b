/* zk-client-fuzz.h — ZkClient's reply handling on arbitrary device bytes
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* runs a fixed sequence of operations (connect with a comm key,
 * get_info, the three bulk reads, a ranged attendance read,
 * read_template, read_faces, get_time, set_user, write_template,
 * delete_user, disconnect) on a client whose terminal says @data
 * (a ZkFeedConnection: reply id 0 is the request being answered,
 * checksums are filled in). Nothing goes on the network */
void zk_client_feed_reply_for_fuzzing (const guint8 *data, gsize size);

G_END_DECLS
