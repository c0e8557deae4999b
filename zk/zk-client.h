/* zk-client.h — ZkClient: one session with one terminal
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Blocking calls meant for a worker thread: every call takes a
 * GCancellable and honours the client's per-call timeout. One client
 * belongs to one thread at a time; there is no global state. The wire
 * is a ZkConnection (zk-connection.h); the client runs the session on
 * it: connect, re-connect and retry, and what each operation means.
 *
 * A terminal may be hostile: nothing it sends can stretch a call beyond
 * its deadline (the timeout for an answer; for a stream the timeout plus
 * its size at 8 KiB/s, with at least 1 KiB in every timeout window),
 * packets that are not the answer end a call after a few hundred, tables
 * are refused before they are read when they announce more than the
 * read limit allows, and every string is made safe once (zk-text.h).
 * Cancelling from another thread wakes any wait at once.
 */
#pragma once

#include <gio/gio.h>

#include "zk-connection.h"
#include "zk-error.h"
#include "zk-records.h"

G_BEGIN_DECLS

/* what a device says about itself (options + GET_VERSION + free sizes) */
typedef struct
{
  char *serial;       /* ~SerialNumber */
  char *device_name;  /* ~DeviceName */
  char *platform;     /* ~Platform */
  char *firmware;     /* GET_VERSION, e.g. "Ver 6.60 Apr 26 2016" */
  char *fp_version;   /* ~ZKFPVersion: "9" / "10" */
  char *face_version; /* ZKFaceVersion: "7", or NULL when absent/0 */
  gboolean face_on;   /* FaceFunOn=1 */
  guint pin_width;    /* ~PIN2Width (9 when unknown) */
  guint user_width;   /* 72 or 28 once known, else 0 */
  ZkSizes sizes;
} ZkDeviceInfo;

void zk_device_info_clear (ZkDeviceInfo *info);
/* face capability from options/capacity, never from the current face count */
gboolean zk_device_info_face_capable (const ZkDeviceInfo *info);

/* what a table read may take from the device, checked before anything is
 * read (the size the device announces) and before records are decoded */
typedef enum
{
  ZK_TABLE_USERS,
  ZK_TABLE_TEMPLATES,
  ZK_TABLE_ATTENDANCE,
  ZK_N_TABLES,
} ZkTable;

typedef struct
{
  guint64 max_bytes; /* the table blob as announced (1503 reply / PREPARE_DATA) */
  guint max_records; /* records in it */
} ZkReadLimit;

const char *zk_table_to_string (ZkTable table);
/* the protocol's own bounds: users 65 534 slots of 72 bytes; templates
 * 65 534 × 10 fingers of ≤ 2048 bytes; punches 4 M records of ≤ 256 bytes;
 * no table above 256 MiB */
void zk_read_limit_default (ZkTable table, ZkReadLimit *limit);
/* what a device that reported @sizes can hold: the larger of its count
 * and capacity, plus a tenth (at least 64 records) for what is added
 * between the size query and the read; never above the default. An
 * unknown (≤ 0) count and capacity give the default. */
void zk_read_limit_from_sizes (ZkTable table, const ZkSizes *sizes, ZkReadLimit *limit);
/* what a reported count or capacity may grow to between the size query and
 * the read: a tenth more, at least 64 */
guint64 zk_read_allowance (guint64 count);

/* traffic counters of one client (its connection's, and its reconnects),
 * for benchmarks and tests */
typedef ZkConnectionStats ZkClientStats;

#define ZK_TYPE_CLIENT (zk_client_get_type ())
G_DECLARE_FINAL_TYPE (ZkClient, zk_client, ZK, CLIENT, GObject)

ZkClient *zk_client_new (const char *host, guint16 port, ZkTransport transport);
/* a client on @connection (it takes a reference): another transport
 * behind the same protocol, e.g. a fuzzer's bytes */
ZkClient *zk_client_new_with_connection (ZkConnection *connection, ZkTransport transport);

void zk_client_set_comm_key (ZkClient *self, guint32 key);
/* refuse every request that would change the terminal (clock, enable
 * state, users, templates, faces, deletes, clears, options …) before it is
 * sent: such calls fail with ZK_ERROR_INVALID_ARGUMENT. For read-only jobs */
void zk_client_set_read_only (ZkClient *self, gboolean read_only);
gboolean zk_client_get_read_only (ZkClient *self);
/* per-call timeout (default 5000 ms); a stream packet may take this long too */
void zk_client_set_timeout (ZkClient *self, guint timeout_ms);
/* device name encoding for user names (NULL = UTF-8) */
void zk_client_set_encoding (ZkClient *self, const char *encoding);
/* bytes asked per CMD_READ_DATA (0 = sized from the device: see ZkSlices) */
void zk_client_set_chunk_size (ZkClient *self, guint chunk_size);
/* how large a CMD_READ_DATA slice the device is asked for. Once its
 * packet size is known, a device that streams large packets is asked
 * for several packets per slice (one pacing gap per packet instead of
 * two); any sign that it dislikes that (an error, a short or missing
 * stream, a timeout) makes it SINGLE: the classic slice of one such
 * packet (65472 bytes on TCP, 16384 on UDP). Kept per client; a caller
 * that keeps it per device hands it back to the next client */
typedef enum
{
  ZK_SLICES_UNKNOWN, /* not tried yet */
  ZK_SLICES_MULTI,   /* several packets per slice worked */
  ZK_SLICES_SINGLE,  /* the device disliked them: classic slices only */
} ZkSlices;
ZkSlices zk_client_get_slices (ZkClient *self);
void zk_client_set_slices (ZkClient *self, ZkSlices slices);
/* @limit NULL = zk_read_limit_default() */
void zk_client_set_read_limit (ZkClient *self, ZkTable table, const ZkReadLimit *limit);
void zk_client_get_read_limit (ZkClient *self, ZkTable table, ZkReadLimit *limit);
/* every table's limit from what the device reported (zk_read_limit_from_sizes) */
void zk_client_limit_reads_to (ZkClient *self, const ZkSizes *sizes);
/* a monotonic time (µs) no call may wait past, whatever it does (retries
 * and reconnects included); 0 = none */
void zk_client_set_deadline (ZkClient *self, gint64 deadline_us);

const char *zk_client_get_host (ZkClient *self);
guint16 zk_client_get_port (ZkClient *self);
/* the transport in use after connect (TCP or UDP, never AUTO) */
ZkTransport zk_client_get_transport (ZkClient *self);
gboolean zk_client_is_connected (ZkClient *self);
guint16 zk_client_get_session_id (ZkClient *self);
void zk_client_get_stats (ZkClient *self, ZkClientStats *stats);
/* the device's user record width once learnt (a user read, a write), else 0 */
guint zk_client_get_user_width (ZkClient *self);
/* the width an earlier session of the same device learnt from its user
 * table (72 or 28): a write need not read the table again to learn it */
void zk_client_set_user_width (ZkClient *self, guint width);

/* session */
gboolean zk_client_connect (ZkClient *self, GCancellable *cancellable, GError **error);
/* CMD_EXIT and close; safe to call when not connected. Waits at most a
 * second for the answer; when @cancellable is already cancelled, EXIT is
 * sent without waiting */
gboolean zk_client_disconnect (ZkClient *self, GCancellable *cancellable, GError **error);
/* @timeout_s: the device re-enables itself after this many seconds (0 = never) */
gboolean
zk_client_disable (ZkClient *self, guint timeout_s, GCancellable *cancellable, GError **error);
gboolean zk_client_enable (ZkClient *self, GCancellable *cancellable, GError **error);
gboolean zk_client_refresh_data (ZkClient *self, GCancellable *cancellable, GError **error);
gboolean zk_client_refresh_options (ZkClient *self, GCancellable *cancellable, GError **error);

/* device information */
gboolean
zk_client_get_sizes (ZkClient *self, ZkSizes *sizes, GCancellable *cancellable, GError **error);
/* returns NULL with ZK_ERROR_NOT_FOUND for an option the device does not
 * know. ~SerialNumber is an identity (escaped when not clean), every other
 * value a display string (zk-text.h) */
char *
zk_client_get_option (ZkClient *self, const char *name, GCancellable *cancellable, GError **error);
gboolean zk_client_set_option (
    ZkClient *self, const char *name, const char *value, GCancellable *cancellable, GError **error);
char *zk_client_get_version (ZkClient *self, GCancellable *cancellable, GError **error);
/* options other than ~SerialNumber that the device answers with an error,
 * as unknown or not at all are unknown (NULL), not a failure */
gboolean
zk_client_get_info (ZkClient *self, ZkDeviceInfo *info, GCancellable *cancellable, GError **error);
gboolean
zk_client_get_time (ZkClient *self, ZkTime *time, GCancellable *cancellable, GError **error);
gboolean
zk_client_set_time (ZkClient *self, const ZkTime *time, GCancellable *cancellable, GError **error);

/* bulk reads: arrays of ZkUser* / ZkTemplate* / ZkAttendance* / ZkFace*.
 * @warnings (nullable) gets one line per reason records were skipped for
 * (a count and a few examples, zk_skips_summarize()). A table larger than
 * its read limit is a ZK_ERROR_PROTOCOL before it is read. */
GPtrArray *zk_client_read_users (ZkClient *self,
                                 GPtrArray *warnings,
                                 GCancellable *cancellable,
                                 GError **error);
GPtrArray *zk_client_read_templates (ZkClient *self,
                                     GPtrArray *warnings,
                                     GCancellable *cancellable,
                                     GError **error);
GPtrArray *zk_client_read_attendance (ZkClient *self,
                                      GPtrArray *warnings,
                                      GCancellable *cancellable,
                                      GError **error);
/* @count records of the attendance log from the @start-th (1-based),
 * with CMD_QUERY_DATA's range parameters. Not confirmed on devices:
 * firmware may refuse (ZK_ERROR_DEVICE), ignore the range (the whole log
 * comes back) or read it another way, so a caller trusts the result of a
 * device only after it matched a full read of that device. */
GPtrArray *zk_client_read_attendance_range (ZkClient *self,
                                            guint start,
                                            guint count,
                                            GPtrArray *warnings,
                                            GCancellable *cancellable,
                                            GError **error);
/* one template (CMD 88); ZK_ERROR_NOT_FOUND when absent */
ZkTemplate *zk_client_read_template (
    ZkClient *self, guint16 uid, guint8 fid, GCancellable *cancellable, GError **error);
/* all faces of one user (CMD 150 [uid][50]); an empty array when the user
 * has none; ZK_ERROR_UNSUPPORTED on a device without binary faces */
GPtrArray *
zk_client_read_faces (ZkClient *self, guint16 uid, GCancellable *cancellable, GError **error);

/* writes; the caller sends REFRESHDATA after a batch of them */
gboolean
zk_client_set_user (ZkClient *self, const ZkUser *user, GCancellable *cancellable, GError **error);
gboolean
zk_client_delete_user (ZkClient *self, guint16 uid, GCancellable *cancellable, GError **error);
gboolean zk_client_delete_template (
    ZkClient *self, guint16 uid, guint8 fid, GCancellable *cancellable, GError **error);
/* per-template upload: buffer + CMD 87 */
gboolean zk_client_write_template (ZkClient *self,
                                   const ZkTemplate *tmpl,
                                   GCancellable *cancellable,
                                   GError **error);
/* batch upload: buffer + CMD 110 sub-command 12 (users and templates in one go;
 * users are matched by user_id on the device) */
gboolean zk_client_write_batch (ZkClient *self,
                                GPtrArray *users,
                                GPtrArray *templates,
                                GCancellable *cancellable,
                                GError **error);
gboolean zk_client_write_faces (ZkClient *self,
                                const char *user_id,
                                GPtrArray *faces,
                                GCancellable *cancellable,
                                GError **error);
gboolean zk_client_delete_faces (ZkClient *self,
                                 const char *user_id,
                                 GCancellable *cancellable,
                                 GError **error);
/* explicit only: nothing else in the library ever clears logs */
gboolean zk_client_clear_attendance (ZkClient *self, GCancellable *cancellable, GError **error);

/* ------------------------------------------------- live events (§8) */

typedef enum
{
  ZK_EVENT_PUNCH,   /* an EF_ATTLOG event, decoded into @punch */
  ZK_EVENT_UNKNOWN, /* an EF_ATTLOG event that did not decode (@why says why) */
  ZK_EVENT_OTHER,   /* another EF_* event: acked, nothing to decode */
} ZkEventKind;

typedef struct
{
  ZkEventKind kind;
  guint16 flag;       /* the EF_* bit the event carried */
  gsize length;       /* of its payload */
  ZkAttendance punch; /* ZK_EVENT_PUNCH */
  char *why;          /* ZK_EVENT_UNKNOWN */
} ZkEvent;

void zk_event_clear (ZkEvent *event);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (ZkEvent, zk_event_clear)

/* CMD_REG_EVENT with @mask of ZK_EF_* bits (0 unregisters); registered
 * again after every reconnect of the client. From now on events that
 * arrive during other calls are kept for zk_client_wait_event() */
gboolean
zk_client_listen_events (ZkClient *self, guint32 mask, GCancellable *cancellable, GError **error);
/* the next event (acked before it is returned), waiting at most
 * @timeout_ms; FALSE with ZK_ERROR_TIMED_OUT when none came, another
 * error when the session broke (the client does not reconnect here) */
gboolean zk_client_wait_event (
    ZkClient *self, guint timeout_ms, ZkEvent *event, GCancellable *cancellable, GError **error);
/* a cheap request that proves the terminal still answers this session
 * (GET_TIME: four bytes back) */
gboolean zk_client_ping (ZkClient *self, GCancellable *cancellable, GError **error);
/* events acked but lost to the listener (a full queue, a closed
 * session) plus the client's reconnects: when this grows, punches may be
 * only in the terminal's log */
guint64 zk_client_get_events_missed (ZkClient *self);

G_END_DECLS
