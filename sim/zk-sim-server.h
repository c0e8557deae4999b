/* zk-sim-server.h — ZkSimServer: serves simulated terminals on 127.0.0.1
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Each device gets a TCP listener and a UDP socket (port 0 = ephemeral,
 * -1 = off) on 127.0.0.1 only. zk_sim_server_start() binds everything in
 * the caller's thread (so bind errors are reported there) and then runs
 * the sockets on a thread of its own with its own GMainContext, so a test
 * can make blocking client calls from its own thread. All public
 * functions are thread-safe.
 */
#pragma once

#include <gio/gio.h>

#include "zk-sim-device.h"
#include "zk-sim-push-device.h"
#include "zk-sim-session.h"

G_BEGIN_DECLS

#define ZK_TYPE_SIM_SERVER (zk_sim_server_get_type ())
G_DECLARE_FINAL_TYPE (ZkSimServer, zk_sim_server, ZK, SIM_SERVER, GObject)

/* @devices: ZkSimDevice* (the server takes its own references) */
ZkSimServer *zk_sim_server_new (GPtrArray *devices);
ZkSimServer *zk_sim_server_new_from_data (const char *data, gsize len, GError **error);
ZkSimServer *zk_sim_server_new_from_file (const char *path, GError **error);

gboolean zk_sim_server_start (ZkSimServer *self, GError **error);
/* stops serving, closes every socket and joins the thread; idempotent */
void zk_sim_server_stop (ZkSimServer *self);
gboolean zk_sim_server_is_running (ZkSimServer *self);

guint zk_sim_server_get_n_devices (ZkSimServer *self);
/* borrowed; NULL when out of range */
ZkSimDevice *zk_sim_server_get_device (ZkSimServer *self, guint index);
/* index of the device named @name, or whose decimal index is @name; -1 */
int zk_sim_server_lookup (ZkSimServer *self, const char *name);
/* the push device named @name (borrowed), or NULL */
ZkSimPushDevice *zk_sim_server_lookup_push (ZkSimServer *self, const char *name);
/* bound ports once started (0 when that transport is off) */
guint16 zk_sim_server_get_tcp_port (ZkSimServer *self, guint index);
guint16 zk_sim_server_get_udp_port (ZkSimServer *self, guint index);

/* overrides every device's pacing (ms between streamed packets) */
void zk_sim_server_set_pacing_ms (ZkSimServer *self, guint pacing_ms);

/* one control command line ("punch 0 17", "stats A" …, see
 * docs/SIMULATOR.md); returns the reply text (one line), or NULL with an
 * error whose message is the "ERR" text */
char *zk_sim_server_control (ZkSimServer *self, const char *line, GError **error);

/* the full state in the fixture format */
char *zk_sim_server_dump (ZkSimServer *self, gboolean pretty);
gboolean zk_sim_server_dump_to_file (ZkSimServer *self, const char *path, GError **error);
/* {"devices":[{"name","serial","tcp_port","udp_port"}…, then
 * {"name","serial","protocol":"push"} per push device]} */
char *zk_sim_server_ready_json (ZkSimServer *self);
/* sessions open now and at most at once, over all devices (the
 * terminals' side of a client's global session cap) */
void zk_sim_server_get_sessions (ZkSimServer *self, guint *now, guint *max);
/* one device's statistics object, or {"sessions","max_sessions","devices":[…]}
 * for @index -1 */
char *zk_sim_server_stats_json (ZkSimServer *self, int index);

G_END_DECLS
