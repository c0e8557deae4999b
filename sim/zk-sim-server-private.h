/* zk-sim-server-private.h — what zk-sim-control.c needs of ZkSimServer
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "zk-sim-faults.h"
#include "zk-sim-server.h"

G_BEGIN_DECLS

/* on the server's thread, soon: sends the events device @index has for
 * its sessions and resumes what waited while it was held, or (@reboot)
 * closes every connection it has */
void zk_sim_server_kick (ZkSimServer *self, guint index, gboolean reboot);

G_END_DECLS
