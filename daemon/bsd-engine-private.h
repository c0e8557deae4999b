/* bsd-engine-private.h — what the engine's files share (nothing outside them)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A run is a tree: the run (the operation of one job) has groups (an area,
 * or one device without area), groups have devices. Each device goes
 * through phases in worker threads (bsd-engine-worker.c: read, apply, logs
 * …), which also store what they read with a connection of their own
 * (bsd-engine-store.c); once a group's reads are in, a worker plans it, and
 * once it is applied a worker makes its part of the report. The main
 * thread moves each step on (bsd-engine-steps.c) and finishes the run
 * when every group is done (bsd-engine-report.c). The start-up recovery
 * of terminals a crash left disabled uses the same workers
 * (bsd-engine-recovery.c).
 */
#pragma once

#include "bsd-engine.h"

G_BEGIN_DECLS

/* job reports list at most this many entries per plan list (totals stay whole) */
#define BSD_ENGINE_REPORT_MAX_ITEMS 200

struct _BsdEngine
{
  GObject parent_instance;

  BsdStore *store;
  BsdSessionGate *gate;
  GMainContext *context;
  GThreadPool *pool;
  BsdRetryPolicy retry;
  guint disable_timeout_s;
  guint full_read_interval_s;
  GHashTable *last_full_read; /* device id → monotonic µs of the last full table read */

  /* a second connection for workers: snapshots are stored off the main
   * thread (they are the bulk of the database work), one at a time */
  GMutex writer_lock;
  BsdStore *writer;
  gboolean writer_failed;

  /* push terminals (bsd-engine-push.c): their workers wait for the
   * terminal's next poll, never in the pull workers' pool nor in the
   * session gate; the receiver's "device-changed" wakes them */
  GThreadPool *push_pool;
  GMutex push_lock;
  GHashTable *push_waiters; /* device id → PushWaiter, while a job waits on it */
  gboolean push_closing;    /* the engine goes away: waiters give up */
};

typedef enum
{
  PHASE_READ,       /* contact, clock, tables (and logs for individual syncs) */
  PHASE_APPLY,      /* the device plan, read-back */
  PHASE_LOGS,       /* attendance only */
  PHASE_CLEAR_LOGS, /* clear after download, when the count still matches */
  PHASE_DELETE_PIN, /* remove one PIN */
  PHASE_UPDATE_PIN, /* write one central edit */
  PHASE_SET_TIME,
  /* a group's steps: the roster, the plan and the report are big for a big
   * area, and the main thread answers D-Bus calls meanwhile */
  PHASE_PLAN,   /* the plan input, the plan, the gaps before */
  PHASE_REPORT, /* the gaps after, the plan's JSON, releasing the snapshots */
} Phase;

typedef struct _Run Run;
typedef struct _Group Group;
typedef struct _RecoverItem RecoverItem;

typedef struct
{
  Run *run;
  Group *group; /* NULL for flat runs (logs, delete, update, set time) */
  BsdEndpoint *endpoint;
  char *serial;           /* from the store, then from the device */
  char *serial_was;       /* the store's, when another terminal answered at this contact */
  char *firmware;         /* from the store, for the watermark's ranged-read verdict */
  BsdLogWatermark *mark;  /* the last collection, NULL = none */
  gboolean read_fingers;  /* FALSE: counts unchanged, stored templates stand in */
  gboolean cache_allowed; /* a full read happened recently enough */
  gboolean cache_pending; /* the worker loads the cache before reading */
  guint stored_fingers;   /* in the stored snapshot */
  guint stored_face_users;
  GHashTable *stored_uids;      /* PIN → uid of the stored snapshot, when the cache may be used */
  GPtrArray *cached;            /* BsdTemplate*: the stored snapshot's templates, bytes resolved */
  gboolean store_all_templates; /* the store lacks bytes the snapshot lists: write them all */
  gboolean prepared;            /* the read snapshot is complete (cache filled, counted) */
  gboolean after_prepared;      /* the read-back carries what was not read back */
  gboolean stored;              /* a worker stored the snapshot (or read-back) already */
  gboolean health_stored;       /* a worker stored the contact's health already */
  GError *store_error;
  gboolean lied_before;  /* kept less than it acknowledged once: verify writes in full */
  gboolean lie_stored;   /* a worker recorded this apply's lies already */
  BsdTraffic read;       /* the read phase's requests and bytes */
  gboolean read_logs;    /* individual sync */
  gboolean push;         /* a push terminal: its mirror and its command queue */
  gboolean push_queried; /* its read asked it for everything (a full read) */
  gint64 items_at;       /* worker: when it last told how far it is (or its session opened) */

  /* filled by workers, read by the main thread after the hand-off */
  BsdContact contact;
  BsdSnapshot *snapshot;
  BsdLogRead logs;
  gboolean logs_read; /* @logs holds a collection */
  GPtrArray *warnings;
  gboolean clock_set;
  gboolean logs_cleared;
  gboolean was_present; /* delete/update: the PIN was on the device */
  gboolean done_ok;     /* delete/update/set-time: verified */
  BsdDevicePlan *plan;  /* borrowed from the group's plan */
  BsdApplyResult apply;
  gboolean applied;
  GError *error;

  /* what the report needs once the heavy data is released */
  gboolean have_read;
  guint n_read_users, n_read_fingers, n_read_faces;
  gboolean have_attendance;
  guint attendance_read;
  guint skips;

  /* main-thread results */
  GPtrArray *removals; /* Removal*: deleted PINs found on the device */
  guint logs_inserted;
  guint logs_duplicates;
  char *status; /* ok, partial, failed, unreachable, cancelled, skipped */
  char *reason;
} DeviceCtx;

struct _Group
{
  Run *run;
  guint area_id; /* 0 = one device without area */
  char *area_name;
  GPtrArray *devices; /* DeviceCtx* (owned by the run) */
  guint pending;
  GHashTable *deletions; /* PIN → BsdTombstone*: what the plan deleted */
  BsdPlan *plan;
  JsonNode *plan_json; /* what stays of the plan once the group is done */
  guint primary_device_id;
  JsonNode *gaps_before;
  JsonNode *gaps_after;
  GPtrArray *people;     /* BsdPerson*, for a step that needs the roster */
  GPtrArray *tombstones; /* BsdTombstone*, likewise */
  GError *error;         /* the plan step failed */
  gboolean preview;
  gboolean finished;
};

struct _Run
{
  BsdEngine *engine;
  GTask *task;
  BsdOperation *op;
  gint64 job_id;
  GCancellable *cancellable;
  BsdProgressFunc progress;
  gpointer progress_data;
  GPtrArray *groups;  /* Group* */
  GPtrArray *devices; /* DeviceCtx*, all of them */
  guint pending;      /* groups or flat devices not finished */
  guint steps_total;
  guint steps_done;
  double last_fraction;
  gint64 items_at;         /* when a device's items were last reported */
  ZkUser *update_record;   /* update-user: the roster record, uid unset */
  BsdTombstone *tombstone; /* delete-user: the deletion */
  gboolean balance;
  gboolean clear_logs;
  gboolean read_only; /* a preview: no session may change a terminal */
  guint clock_threshold;
  gint64 started;
};

/* a deleted PIN found on a device, and what became of it */
typedef struct
{
  char *pin;
  gint64 deleted_at;
  char *deleted_by;
  gboolean verified; /* the device's read-back no longer holds it */
  char *outcome;     /* "removed", "would be removed", "removal failed", "not removed" */
  char *reason;      /* why not, or NULL */
  char *text;        /* one line for people */
} Removal;

/* one session with one terminal, in a worker */
typedef struct
{
  BsdEngine *engine;
  DeviceCtx *dev;    /* a job's device in one of its phases, */
  Group *group;      /* a group's step (PHASE_PLAN, PHASE_REPORT) … */
  Phase phase;       /* … */
  GTask *recovery;   /* … or a device a crash left disabled (the start-up recovery) */
  RecoverItem *item; /* … */
  BsdHold hold;      /* the session's record of disabling the terminal */
} Work;

struct _RecoverItem
{
  BsdEndpoint *endpoint;
  gboolean enabled;
  gboolean gone; /* no longer recorded: a job's session re-enabled it first */
  GError *error;
};

/* bsd-engine.c: the run */
void bsd_engine_set_status (DeviceCtx *dev, const char *status, const char *reason);
void bsd_engine_progress (Run *run, const char *message);
/* how far @dev is within its phase (0–1), at most four times a second a run */
void bsd_engine_items_progress (DeviceCtx *dev, const char *message, double within);
/* emit "device-busy": a worker opened a session with the device */
void bsd_engine_device_busy (BsdEngine *self, guint device_id);
/* emit "device-changed" / "area-changed" (bsd-engine.c) */
void bsd_engine_device_changed (BsdEngine *self, guint device_id);
void bsd_engine_area_changed (BsdEngine *self, guint area_id);
void bsd_engine_part_done (Run *run);
BsdEndpoint *bsd_engine_endpoint (const BsdDevice *device, guint32 comm_key);
void bsd_engine_keep_result_cb (GObject *source, GAsyncResult *result, gpointer user_data);
GAsyncResult *bsd_engine_wait_result (BsdEngine *self, GAsyncResult **result);

/* bsd-engine-worker.c */
void bsd_engine_pool_func (gpointer data, gpointer user_data);
Work *bsd_engine_work_new (BsdEngine *self);
void bsd_engine_dispatch (DeviceCtx *dev, Phase phase);
void bsd_engine_dispatch_group (Group *group, Phase phase);
gboolean bsd_engine_clock_needs_setting (Run *run, const BsdContact *contact);

/* bsd-engine-steps.c */
void bsd_engine_group_plan (Group *group);
void bsd_engine_group_planned (Group *group);
void bsd_engine_group_work (Group *group, Phase phase);
void bsd_engine_work_done (Work *work);

/* bsd-engine-store.c */
void bsd_engine_store_health (BsdStore *store, DeviceCtx *dev);
gboolean bsd_engine_store_snapshot (BsdStore *store,
                                    DeviceCtx *dev,
                                    const BsdSnapshot *snap,
                                    GError **error);
void bsd_engine_load_template_cache (BsdStore *store, DeviceCtx *dev);
void bsd_engine_prepare_read (DeviceCtx *dev);
void bsd_engine_prepare_after (DeviceCtx *dev);
gboolean bsd_engine_store_is_file (BsdStore *store);
BsdStore *bsd_engine_writer_acquire (BsdEngine *self);
gboolean bsd_engine_wants_health (DeviceCtx *dev, Phase phase);
gboolean bsd_engine_hold_record (gpointer data, GError **error);
void bsd_engine_hold_forget (gpointer data);
gboolean bsd_engine_hold_still_recorded (Work *work);
void bsd_engine_store_results (DeviceCtx *dev, Phase phase);
void bsd_engine_store_lies (BsdStore *store, DeviceCtx *dev);
void bsd_engine_prefetch_roster (Group *group);
gboolean bsd_engine_load_roster (Group *group, GError **error);

void bsd_engine_writer_release (BsdEngine *self);

/* bsd-engine-report.c */
void bsd_engine_add_removal (DeviceCtx *dev,
                             const BsdTombstone *tombstone,
                             gboolean again,
                             gboolean verified,
                             const char *outcome,
                             const char *reason);
void bsd_engine_finish_run (Run *run);

/* bsd-engine-push.c */
gboolean bsd_engine_is_push (const BsdDevice *device);
/* a push terminal's phase, in a worker of the push pool */
void bsd_engine_push_work (Work *work);
void bsd_engine_push_init (BsdEngine *self);
/* wakes every waiter for good, then waits for the push workers */
void bsd_engine_push_finalize (BsdEngine *self);

/* bsd-engine-recovery.c */
void bsd_engine_recover_work (Work *work);
void bsd_engine_recover_done (Work *work);

G_END_DECLS
