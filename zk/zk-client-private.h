/* zk-client-private.h — what the files of ZkClient share
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * ZkClient is spread over files that share this header: zk-client.c
 * (the session, device information and the operation runner),
 * zk-client-read.c (bulk reads, one template, faces) and
 * zk-client-write.c (users, templates, faces, batches, deletes). The
 * wire is a ZkConnection (zk-connection.h).
 */
#pragma once

#include "zk-client.h"
#include "zk-packet.h"

G_BEGIN_DECLS

/* a stream larger than this needs an operation that expects it (tables,
 * faces, table slices) */
#define ZK_CLIENT_STREAM_MAX (1024 * 1024)
/* hostile sizes: refuse blobs beyond this, preallocate at most that */
#define ZK_CLIENT_BLOB_MAX (256u * 1024 * 1024)

typedef enum
{
  SUPPORT_UNKNOWN,
  SUPPORT_YES,
  SUPPORT_NO,
} Support;

struct _ZkClient
{
  GObject parent_instance;

  ZkConnection *connection;
  ZkTransport requested;
  guint32 comm_key;
  char *encoding;
  guint chunk_size;
  ZkSlices slices;
  guint32 packet_size; /* psize of the device's streams, 0 = not seen yet */

  gboolean connected;      /* session established */
  gboolean ever_connected; /* connect() succeeded once: reconnects allowed */
  gboolean buffer_dirty;   /* the device may hold a session buffer */
  gboolean disabled;       /* DISABLEDEVICE in force (re-sent after reconnect) */
  guint disable_timeout_s;
  guint32 event_mask; /* CMD_REG_EVENT in force (re-sent after reconnect), 0 = none */
  ZkReadLimit limits[ZK_N_TABLES];

  /* what we learned about the device */
  guint user_width;
  guint att_width;
  Support faces;
  int fp_version; /* 0 unknown */
  ZkSizes sizes;
  gint64 sizes_time; /* monotonic µs of the last free-sizes reply, 0 = none */

  guint64 reconnects;
};

typedef gboolean (*ZkClientOp) (ZkClient *self,
                                gpointer data,
                                GCancellable *cancellable,
                                GError **error);

/* ---- the session and its operations (zk-client.c) */

/* runs one operation, named @what in its errors; a session that is gone
 * or suspect is re-established first, and idempotent operations get one
 * reconnect and one retry when no answer came */
gboolean zk_client_run_op (ZkClient *self,
                           const char *what,
                           gboolean idempotent,
                           ZkClientOp op,
                           gpointer data,
                           GCancellable *cancellable,
                           GError **error);
/* one request on the connection; a stream may bring ZK_CLIENT_STREAM_MAX */
gboolean zk_client_transact (ZkClient *self,
                             guint16 command,
                             const guint8 *payload,
                             gsize payload_len,
                             ZkReply *reply,
                             GCancellable *cancellable,
                             GError **error);
/* a request whose success is ACK_OK (or DATA); the payload goes to
 * @data_out when given */
gboolean zk_client_request_ok (ZkClient *self,
                               guint16 command,
                               const guint8 *payload,
                               gsize payload_len,
                               GByteArray **data_out,
                               GCancellable *cancellable,
                               GError **error);
/* CMD_REG_EVENT with the client's event mask (zk-client-events.c) */
gboolean zk_client_register_events (ZkClient *self, GCancellable *cancellable, GError **error);
/* FREE_DATA for leftovers of an interrupted transfer, before a new one */
gboolean zk_client_clear_buffer (ZkClient *self, GCancellable *cancellable, GError **error);
/* FREE_DATA after a transfer: the data is here, a lost answer only makes
 * the session suspect */
void zk_client_free_buffer (ZkClient *self, GCancellable *cancellable);

/* ---- what the client learns about the device (zk-client.c) */

gboolean
zk_client_fetch_sizes (ZkClient *self, ZkSizes *sizes, GCancellable *cancellable, GError **error);
/* an option we can do without: an error, "unknown command" or silence
 * mean "unknown" (*value NULL). Two silences in a row (@silences counts
 * them) mean the device is gone */
gboolean zk_client_read_optional_option (ZkClient *self,
                                         const char *name,
                                         char **value,
                                         guint *silences,
                                         GCancellable *cancellable,
                                         GError **error);
/* learns ~ZKFPVersion once: v9 firmware takes templates inline */
gboolean zk_client_ensure_fp_version (ZkClient *self, GCancellable *cancellable, GError **error);
/* before a face command: FALSE (ZK_ERROR_UNSUPPORTED) when the device is
 * known to lack binary faces */
gboolean zk_client_faces_possible (ZkClient *self, GError **error);
/* what the answer to a face command says of the device: ACK_UNKNOWN is a
 * device without binary faces; ACK_ERROR may be one too (face7 says "none
 * for this user" the same way), so it asks FaceFunOn, once. FALSE when
 * the device has no faces */
gboolean zk_client_faces_answer (ZkClient *self,
                                 const ZkReply *reply,
                                 GCancellable *cancellable,
                                 GError **error);

/* the device's count and capacity of @table in @sizes (-1 for none) */
gint32 zk_sizes_count (const ZkSizes *sizes, ZkTable table);
gint32 zk_sizes_capacity (const ZkSizes *sizes, ZkTable table);

/* ---- reads the writes need (zk-client-read.c) */

/* the device's record count of @table, or -1 when it cannot tell */
gboolean zk_client_count_hint (
    ZkClient *self, ZkTable table, gint *hint, GCancellable *cancellable, GError **error);
/* learns the user record width without writing anything when the device
 * has users: reading them tells */
gboolean zk_client_learn_user_width (ZkClient *self, GCancellable *cancellable, GError **error);

G_END_DECLS
