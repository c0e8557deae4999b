/* zk-sim-device-private.h — what the files of ZkSimDevice share
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One terminal is spread over files that share this header, as fwupd
 * spreads its engine: zk-sim-device.c (state and its rules),
 * zk-sim-session.c (sessions and the request rules of §1.5),
 * zk-sim-commands*.c (the firmware's command handlers, one table),
 * zk-sim-faults.c (injected faults). Every function declared here is
 * called with the device's lock held.
 */
#pragma once

#include "zk-error.h"
#include "zk-packet.h"
#include "zk-sim-device.h"
#include "zk-sim-faults.h"
#include "zk-sim-hostile.h"
#include "zk-sim-session.h"

G_BEGIN_DECLS

/* the key of a template or face in the device's tables */
#define ZK_SIM_KEY(uid, fid) GUINT_TO_POINTER (((guint)(uid) << 8) | (guint)(fid))

/* a user's faces live in slots 0–14 */
#define ZK_SIM_FACE_SLOTS 15

struct _ZkSimSession
{
  ZkSimDevice *device; /* owned */
  ZkSimTransport transport;
  gboolean alive;
  gboolean hung;
  gboolean connected;
  gboolean authed;
  guint16 id;
  gboolean has_last;
  guint16 last_reply_id;
  GPtrArray *cached; /* GBytes: the last reply, re-sent on a repeated reply id */
  guint32 event_mask;
  GPtrArray *events;
  GBytes *read_buffer; /* 1503 result, paged by 1504 */
  int virtual_table;   /* a generated (hostile) table paged by 1504 instead, -1 = none */
  guint64 virtual_size;
  GByteArray *upload; /* PREPARE_DATA / CMD_DATA buffer */
  gsize upload_size;
};

struct _ZkSimDevice
{
  GObject parent_instance;

  GMutex lock;
  ZkSimProfile profile;
  GHashTable *options;            /* client-written options: name → value */
  GHashTable *users_by_uid;       /* uid → ZkUser* (owned) */
  GHashTable *users_by_id;        /* user_id (owned by the user) → ZkUser* */
  GHashTable *templates;          /* ZK_SIM_KEY (uid, fid) → ZkTemplate* */
  GHashTable *faces;              /* ZK_SIM_KEY (uid, fid) → ZkFace* */
  GArray *attendance;             /* ZkAttendance */
  GBytes *blobs[ZK_SIM_N_TABLES]; /* cached table blobs, NULL when stale */
  GPtrArray *sessions;            /* ZkSimSession*, not owned */

  gboolean disabled;
  gint64 reenable_at; /* monotonic µs, 0 = never */

  ZkSimFaults faults;
  GRand *fault_rand;
  guint64 fault_counter; /* checksum-valid requests seen */
  guint64 drop_request_at;
  guint64 drop_reply_at;
  guint64 close_at;
  /* "after-command": a fault armed for the next request with this command
   * (and, when armed_inner >= 0, this 16-bit word at payload offset 1:
   * the inner command of CMD_QUERY_DATA); NULL armed_fault = nothing armed */
  guint armed_command;
  gint armed_inner;
  char *armed_fault;
  char **armed_args;

  ZkSimHostile hostile;
  ZkSimStats stats;
  ZkSimSessionMeter *meter; /* shared with the other devices of a server, or NULL */
};

/* one request being answered: its packets go to @out */
typedef struct
{
  ZkSimDevice *self;
  ZkSimSession *session;
  ZkHeader header;
  const guint8 *payload;
  gsize len;
  GPtrArray *out;
} ZkSimRequest;

/* ---- replies (zk-sim-commands.c) */

void zk_sim_request_emit (
    ZkSimRequest *req, guint16 command, guint16 session_field, const guint8 *payload, gsize len);
void zk_sim_request_ok (ZkSimRequest *req, const guint8 *payload, gsize len);
/* ACK_ERROR with @subcode in the session field, or the session id for 0 */
void zk_sim_request_error (ZkSimRequest *req, guint16 subcode);
/* §3.4: PREPARE_DATA, DATA × n (index in the session field), ACK_OK */
void
zk_sim_request_stream (ZkSimRequest *req, const guint8 *data, gsize len, guint16 final_session);
/* counts the request and runs its handler (a table, by command) */
void zk_sim_commands_execute (ZkSimRequest *req);

/* ---- handlers of the two halves (zk-sim-commands-read.c, -write.c) */

void zk_sim_cmd_query_data (ZkSimRequest *req);
void zk_sim_cmd_read_data (ZkSimRequest *req);
void zk_sim_cmd_attlog_rrq (ZkSimRequest *req);
void zk_sim_cmd_db_rrq (ZkSimRequest *req);
void zk_sim_cmd_oplog_rrq (ZkSimRequest *req);
void zk_sim_cmd_usertemp_rrq (ZkSimRequest *req);
void zk_sim_cmd_usertemp_ex_rrq (ZkSimRequest *req);
void zk_sim_cmd_user_rrq (ZkSimRequest *req);
void zk_sim_cmd_userface_rrq (ZkSimRequest *req);

void zk_sim_cmd_user_wrq (ZkSimRequest *req);
void zk_sim_cmd_delete_user (ZkSimRequest *req);
void zk_sim_cmd_ssr_delete_user (ZkSimRequest *req);
void zk_sim_cmd_usertemp_wrq (ZkSimRequest *req);
void zk_sim_cmd_usertemp_ex_wrq (ZkSimRequest *req);
void zk_sim_cmd_ssr_usertemp_wrq (ZkSimRequest *req);
void zk_sim_cmd_delete_usertemp (ZkSimRequest *req);
void zk_sim_cmd_ssr_delete_usertemp (ZkSimRequest *req);
void zk_sim_cmd_batch (ZkSimRequest *req);
void zk_sim_cmd_prepare_data (ZkSimRequest *req);
void zk_sim_cmd_data (ZkSimRequest *req);
void zk_sim_cmd_hash_data (ZkSimRequest *req);
void zk_sim_cmd_userface_wrq (ZkSimRequest *req);
void zk_sim_cmd_delete_userface (ZkSimRequest *req);
void zk_sim_cmd_clear_data (ZkSimRequest *req);
void zk_sim_cmd_clear_attlog (ZkSimRequest *req);
void zk_sim_cmd_clear_admin (ZkSimRequest *req);

/* ---- state and its rules (zk-sim-device.c) */

guint32 zk_sim_device_key (ZkSimDevice *self);
void zk_sim_device_check_reenable (ZkSimDevice *self);
void zk_sim_device_enable_locked (ZkSimDevice *self);
void zk_sim_device_reboot_locked (ZkSimDevice *self);
void zk_sim_device_now (ZkSimDevice *self, ZkTime *time);
gboolean zk_sim_device_face_enabled (ZkSimDevice *self);
guint zk_sim_device_count_face_users (ZkSimDevice *self);
gboolean zk_sim_device_user_has_faces (ZkSimDevice *self, guint16 uid);
/* the user whose user id is the NUL-padded field @field, or NULL */
ZkUser *zk_sim_device_user_by_field (ZkSimDevice *self, const guint8 *field, gsize len);
char *zk_sim_device_option_value (ZkSimDevice *self, const char *name);
gboolean zk_sim_device_option_store (ZkSimDevice *self, const char *name, const char *value);

/* [u32 N][records]; NULL when the table is empty */
GBytes *zk_sim_device_table_blob (ZkSimDevice *self, ZkSimTable table);
/* records start … start + count − 1 of the log (1-based, count 0 = to the
 * end) as a blob; NULL when that holds no record */
GBytes *zk_sim_device_attlog_range_blob (ZkSimDevice *self, guint32 start, guint32 count);
void zk_sim_device_invalidate (ZkSimDevice *self, ZkSimTable table);

/* the firmware's rules for a change: 0 when done, or an ACK_ERROR
 * sub-code (G_MAXUINT16 = refused without one) with @why for GErrors */
guint zk_sim_device_put_user (ZkSimDevice *self, const ZkUser *user, const char **why);
guint zk_sim_device_delete_user_locked (ZkSimDevice *self, ZkUser *user);
void zk_sim_device_remove_user (ZkSimDevice *self, ZkUser *user);
/* a ZKFinger 9 device overwrites a finger's slot only with @overwrite */
guint zk_sim_device_put_template (ZkSimDevice *self,
                                  const ZkTemplate *tmpl,
                                  gboolean overwrite,
                                  const char **why);
guint zk_sim_device_delete_template_locked (ZkSimDevice *self, guint16 uid, guint8 fid);
void zk_sim_device_clear_users (ZkSimDevice *self);
void zk_sim_device_clear_attlog (ZkSimDevice *self);

/* the PJW-style hash the firmware puts in a 1503 answer */
guint32 zk_sim_hash_pjw (const guint8 *data, gsize len);

/* ---- sessions (zk-sim-session.c) */

/* what EXIT does: the session is gone, the last one re-enables the device */
void zk_sim_session_disconnect (ZkSimSession *session);
void zk_sim_session_clear_buffers (ZkSimSession *session);

/* ---- faults (zk-sim-faults.c) */

/* the faults that act on a request before it is answered (armed, drop,
 * close); FALSE when it is not to be answered (@disp says how) */
gboolean zk_sim_faults_before (ZkSimRequest *req, ZkSimDisposition *disp, gboolean *drop_reply);
/* the faults that act on the answer: a dropped reply, a stream cut short,
 * corrupt checksums */
void zk_sim_faults_after (ZkSimRequest *req, gboolean drop_reply, ZkSimDisposition *disp);

G_END_DECLS
