/* zk-socket-connection.h — ZkSocketConnection: the wire is a GSocket
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "zk-connection.h"

G_BEGIN_DECLS

#define ZK_TYPE_SOCKET_CONNECTION (zk_socket_connection_get_type ())
G_DECLARE_FINAL_TYPE (ZkSocketConnection, zk_socket_connection, ZK, SOCKET_CONNECTION, ZkConnection)

/* a connection to @host (a name or an address) and @port (0 = 4370) */
ZkConnection *zk_socket_connection_new (const char *host, guint16 port);

G_END_DECLS
