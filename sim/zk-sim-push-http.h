/* zk-sim-push-http.h — ZkSimPushHttp: a push terminal's HTTP client
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Raw HTTP/1.1 (HTTP/1.0 in old-firmware mode) over GSocketClient, the
 * way iclock firmware talks: one connection per request, Connection:
 * close, User-Agent "iClock Proxy/1.09", no Content-Type. The server is
 * not trusted: headers and bodies are bounded, every request has a
 * deadline, and a cancellable ends it at once. Blocking: call it from
 * the device's own thread.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* what a reply may weigh; firmware buffers far less */
#define ZK_SIM_PUSH_HEADERS_MAX (16 * 1024)
#define ZK_SIM_PUSH_REPLY_MAX (1024 * 1024)

typedef struct
{
  guint status;
  char *content_type; /* NULL when absent */
  gint64 date;        /* Date: as unix seconds, -1 when absent or unreadable */
  GBytes *body;
} ZkSimPushReply;

void zk_sim_push_reply_free (ZkSimPushReply *reply);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ZkSimPushReply, zk_sim_push_reply_free)

/* 200, text/plain and a body that contains "OK": what firmware counts as
 * an accepted post */
gboolean zk_sim_push_reply_is_ok (const ZkSimPushReply *reply);

#define ZK_TYPE_SIM_PUSH_HTTP (zk_sim_push_http_get_type ())
G_DECLARE_FINAL_TYPE (ZkSimPushHttp, zk_sim_push_http, ZK, SIM_PUSH_HTTP, GObject)

ZkSimPushHttp *zk_sim_push_http_new (void);

/* "http://HOST:PORT" (a path after it is kept as the prefix of
 * /iclock/); NULL or "" = none yet */
gboolean zk_sim_push_http_set_server (ZkSimPushHttp *self, const char *url, GError **error);
char *zk_sim_push_http_dup_server (ZkSimPushHttp *self);
gboolean zk_sim_push_http_has_server (ZkSimPushHttp *self);

void zk_sim_push_http_set_http10 (ZkSimPushHttp *self, gboolean http10);
void zk_sim_push_http_set_aspx (ZkSimPushHttp *self, gboolean aspx);
/* 3.x firmware: Accept and (on posts) Content-Type application/push */
void zk_sim_push_http_set_acc (ZkSimPushHttp *self, gboolean acc);
/* the whole request, connect to last byte */
void zk_sim_push_http_set_timeout (ZkSimPushHttp *self, guint seconds);

/* GET (@body NULL) or POST /iclock/@endpoint?@query; @query is already
 * escaped. A reply of any status is returned; transport failures, an
 * over-long reply and the deadline are errors. */
ZkSimPushReply *zk_sim_push_http_request (ZkSimPushHttp *self,
                                          const char *endpoint,
                                          const char *query,
                                          GBytes *body,
                                          GCancellable *cancellable,
                                          GError **error);

void zk_sim_push_http_get_bytes (ZkSimPushHttp *self, guint64 *sent, guint64 *received);

G_END_DECLS
