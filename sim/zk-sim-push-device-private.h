/* zk-sim-push-device-private.h — what zk-sim-push-device.c and
 * zk-sim-push-commands.c share
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "zk-sim-push-device.h"
#include "zk-sim-push-http.h"

G_BEGIN_DECLS

/* firmware batches at most this many lines per post */
#define ZK_SIM_PUSH_BATCH_MAX 200

/* the upload switches of TransFlag (format II tokens) */
typedef enum
{
  TRANS_ATTLOG = 1 << 0,
  TRANS_OPLOG = 1 << 1,
  TRANS_ENROLL_USER = 1 << 2,
  TRANS_CHG_USER = 1 << 3,
  TRANS_ENROLL_FP = 1 << 4,
  TRANS_CHG_FP = 1 << 5,
  TRANS_FACE = 1 << 6,
  TRANS_BIOPHOTO = 1 << 7,
  TRANS_ALL = (1 << 8) - 1,
} TransFlags;

typedef enum
{
  EP_CDATA_GET,
  EP_CDATA_POST,
  EP_GETREQUEST,
  EP_DEVICECMD,
  EP_REGISTRY,  /* 3.x */
  EP_PUSH,      /* 3.x */
  EP_QUERYDATA, /* 3.x */
  EP_COUNT,
} Endpoint;

typedef struct
{
  guint64 requests[EP_COUNT];
  guint64 failures; /* transport errors and refused replies */
  guint64 handshakes;
  guint64 polls;
  guint64 uploads; /* batches accepted */
  guint64 upload_lines;
  guint64 upload_retries;
  guint64 commands;
  guint64 result_posts;
  guint64 result_reposts;
  guint64 clock_sets;
  guint64 reboots;
  guint64 no_date;        /* handshake/poll replies without a usable Date */
  guint64 dropped_lines;  /* old firmware: unterminated last lines */
  guint64 dropped_writes; /* the drop-writes fault: acknowledged, not kept */
  GHashTable *returns;    /* Return code (GINT_TO_POINTER) → count */
} PushStats;

typedef struct
{
  gboolean offline;
  guint slow_ms;
  gboolean lost_results; /* drop the next devicecmd post */
  gboolean duplicate_results;
  gboolean crlf;
  gboolean trailing_tab;
  gboolean aspx;
  gboolean stamp_9999;
  gboolean other_dialect; /* uploads in the dialect the handshake did not claim */
  gboolean drop_writes;   /* DATA UPDATE/DELETE answered Return=0, nothing changed */
} PushFaults;

struct _ZkSimPushDevice
{
  GObject parent_instance;

  GMutex lock; /* guards everything below but the thread's own locals */
  GCond cond;
  ZkSimPushConfig config;
  ZkSimPushHttp *http;
  GThread *thread;
  GCancellable *cancellable;
  gboolean stopping;
  gboolean wake;

  /* what the server told us (2.x handshake) */
  guint delay_s;
  guint error_delay_s;
  int tz_minutes;
  gboolean realtime;
  guint trans_interval_min;
  TransFlags trans;
  gboolean server_ver;
  gboolean options_flag;
  char **push_options;
  guint32 server_bio_types;   /* bit per BIODATA type the server takes */
  guint32 server_photo_types; /* bit per BIOPHOTO type the server takes */
  gint64 clock_offset_s;      /* device wall clock minus (UTC + zone) */

  /* data */
  GPtrArray *users;   /* ZkSimPushUser* */
  GPtrArray *bios;    /* ZkSimPushBio* */
  GPtrArray *punches; /* ZkSimPushPunch*, oldest first */
  GPtrArray *photos;  /* ZkSimPushPhoto* */
  guint punches_sent;
  GPtrArray *oplog_queue;   /* char* groups: OPLOG line + USER/FP lines */
  GPtrArray *biodata_queue; /* char* BIODATA lines */
  GString *results;         /* unposted devicecmd records */

  /* the power-on sequence and what is due */
  gboolean handshaken;
  guint info_due; /* data changes since the last INFO= (a poll in flight keeps later ones) */
  gboolean options_due;
  gboolean rtstate_due; /* 3.x: its door and alarm state, after power-on */
  gboolean resend_last; /* after a reboot fault */
  guint boot;           /* counts reboots: a round of an older boot stops */
  guint round_boot;
  char *last_query; /* the last accepted upload, for the reboot fault */
  GBytes *last_batch;
  Endpoint last_endpoint;
  char *last_expect;
  gboolean upload_now; /* LOG, or Realtime=0 and TransInterval reached */
  gint64 last_upload;  /* monotonic µs, for Realtime=0 */

  PushFaults faults;
  PushStats stats;
};

/* UTC now, seconds */
gint64 zk_sim_push_utc_now (void);
/* "YYYY-MM-DD HH:MM:SS" as ZK encodes it (the stamp old firmware sends);
 * 0 when it is not such a time */
guint32 zk_sim_push_encode_time (const char *text);

/* device-local wall clock now, "YYYY-MM-DD HH:MM:SS"; with lock held */
void zk_sim_push_device_now (ZkSimPushDevice *self, char out[20]);

/* the device speaks 3.x ("acc") in its handshake and commands */
gboolean zk_sim_push_device_is_acc (ZkSimPushDevice *self);
/* its uploads are 3.x ones (the other-dialect fault flips them); with lock held */
gboolean zk_sim_push_device_uploads_acc (ZkSimPushDevice *self);

/* one post of @lines to @endpoint?SN@query, retried as firmware does;
 * TRUE once the server acknowledged it: a 200 reply holding "OK", or
 * with @expect a 200 reply with the line @expect (3.x "user=3");
 * without the lock held */
gboolean zk_sim_push_device_post (ZkSimPushDevice *self,
                                  Endpoint endpoint,
                                  const char *query,
                                  GPtrArray *lines,
                                  const char *expect);
/* a 2.x upload: POST cdata?SN&table=@table&Stamp=@stamp@extra (@extra
 * starts with "&" or is "") */
gboolean zk_sim_push_device_upload (ZkSimPushDevice *self,
                                    const char *table,
                                    const char *stamp,
                                    const char *extra,
                                    GPtrArray *lines);
/* a 3.x upload of table @name (user, biodata): POST cdata?table=tabledata,
 * or querydata for the answer to command @cmd_id (pack @pack of @packs) */
gboolean zk_sim_push_device_upload_table (ZkSimPushDevice *self,
                                          const char *name,
                                          const char *cmd_id,
                                          guint pack,
                                          guint packs,
                                          GPtrArray *lines);
/* the value of the line "@key=…" in @lines (char*), NULL when there is none */
const char *zk_sim_push_line_value (GPtrArray *lines, const char *key);
/* the answer to 3.x command @cmd_id: POST querydata?type=@type (tabledata,
 * count, options)&tablename=@name, pack @pack of @packs; taken on the
 * line "<name>=<lines>" (§7) */
gboolean zk_sim_push_device_answer (ZkSimPushDevice *self,
                                    const char *type,
                                    const char *name,
                                    const char *cmd_id,
                                    guint pack,
                                    guint packs,
                                    GPtrArray *lines);

/* formatting of upload lines; with lock held */
char *zk_sim_push_format_user (const ZkSimPushUser *user);
/* BIODATA (2.x) or 3.x "biodata" */
char *zk_sim_push_format_bio (const ZkSimPushBio *bio, gboolean acc);
char *zk_sim_push_format_fp (const ZkSimPushBio *bio);
char *zk_sim_push_format_punch (ZkSimPushDevice *self, const ZkSimPushPunch *punch);
/* 3.x: "user uid=…", rtlog "time=…⇥pin=…" */
char *zk_sim_push_format_user_acc (const ZkSimPushUser *user, guint uid);
char *zk_sim_push_format_rtlog (ZkSimPushDevice *self, const ZkSimPushPunch *punch, guint index);
/* the line's table in an upload queue: "user"/"biodata" (3.x) or NULL (2.x) */
const char *zk_sim_push_line_table_acc (const char *line);

/* a PIN as firmware keeps it: 1 to 24 letters or digits, as text */
gboolean zk_sim_push_pin_is_valid (const char *pin);

/* template bytes generated for @pin, deterministic */
GBytes *zk_sim_push_make_bio_data (const char *pin, guint type, guint no);

/* the INFO / options keys of this device, in order; with lock held */
GPtrArray *zk_sim_push_device_option_pairs (ZkSimPushDevice *self);
gboolean zk_sim_push_device_supports_type (ZkSimPushDevice *self, guint type);
guint zk_sim_push_device_major_for (ZkSimPushDevice *self, guint type);
/* the photos not sent yet into the OPERLOG queue, when the server asks
 * for them; with lock held */
void zk_sim_push_device_queue_photos (ZkSimPushDevice *self);
/* a VL unit keeps comparison photos of @type (9) of its users */
gboolean zk_sim_push_device_supports_photo_type (ZkSimPushDevice *self, guint type);
/* @user and its templates and photos leave; with lock held */
void zk_sim_push_device_remove_user (ZkSimPushDevice *self, ZkSimPushUser *user);
/* BIOPHOTO of @type accepted (BioPhotoFun, MultiBioPhotoSupport) */
gboolean zk_sim_push_device_supports_photo (ZkSimPushDevice *self, guint type);
/* a face template of its own version for @pin, as if from a photo; without
 * the lock; ZK_ERROR_NOT_FOUND for an unknown PIN, FALSE when full */
gboolean zk_sim_push_device_extract_face (ZkSimPushDevice *self,
                                          const char *pin,
                                          gboolean post_back,
                                          GError **error);

/* data changes with the lock held; they return FALSE (−1001) when full */
ZkSimPushUser *zk_sim_push_device_find_user (ZkSimPushDevice *self, const char *pin);
void zk_sim_push_device_remove_bios (ZkSimPushDevice *self, const char *pin, int type, int no);
guint zk_sim_push_device_count_bios (ZkSimPushDevice *self, int type);

/* runs the C:<id>:<command> lines of one getrequest reply (without the
 * lock held), appends the results to self->results; sets *reboot /
 * *check when asked to; returns how many ran */
guint zk_sim_push_device_run_commands (ZkSimPushDevice *self,
                                       GPtrArray *lines,
                                       gboolean *reboot,
                                       gboolean *check);

G_END_DECLS
