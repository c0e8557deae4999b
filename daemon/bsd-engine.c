/* bsd-engine.c — runs sync operations against terminals and records them
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A run is a tree: the run (one job row) has groups (an area, or one
 * device without area), groups have devices. Each device goes through
 * phases in worker threads (read, apply, logs …), which also store what
 * they read with a connection of their own; once a group's reads are in,
 * a worker plans it, and once it is applied a worker makes its part of the
 * report. The main thread moves each step on and finishes the run when
 * every group is done.
 */
#include "config.h"

#include "bsd-engine.h"

#include <string.h>

#include "bsd-time-zone.h"

#define MAX_WORKERS 16
/* job reports list at most this many entries per plan list (totals stay whole) */
#define REPORT_MAX_ITEMS 200

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
};

G_DEFINE_FINAL_TYPE (BsdEngine, bsd_engine, G_TYPE_OBJECT)

/* ------------------------------------------------------------ operations */

static const char *const op_names[] = {
  [BSD_OP_AUTO_SYNC] = "auto-sync",
  [BSD_OP_SYNC_ALL] = "sync-all",
  [BSD_OP_SYNC_AREA] = "sync-area",
  [BSD_OP_SYNC_DEVICE] = "sync-device",
  [BSD_OP_SYNC_TEMPLATES] = "sync-templates",
  [BSD_OP_REFRESH_LOGS] = "refresh-logs",
  [BSD_OP_BALANCE] = "balance",
  [BSD_OP_PREVIEW] = "preview",
  [BSD_OP_DELETE_USER] = "delete-user",
  [BSD_OP_UPDATE_USER] = "update-user",
  [BSD_OP_SET_TIME] = "set-time",
};

const char *
bsd_op_kind_to_string (BsdOpKind kind)
{
  if ((guint)kind < G_N_ELEMENTS (op_names))
    return op_names[kind];
  return "unknown";
}

gboolean
bsd_op_kind_from_string (const char *text, BsdOpKind *kind)
{
  guint i;

  for (i = 0; text && i < G_N_ELEMENTS (op_names); i++)
    if (g_strcmp0 (op_names[i], text) == 0)
      {
        *kind = (BsdOpKind)i;
        return TRUE;
      }
  return FALSE;
}

BsdOperation *
bsd_operation_new (BsdOpKind kind)
{
  BsdOperation *op = g_new0 (BsdOperation, 1);

  op->kind = kind;
  op->requested_by_uid = -1;
  return op;
}

BsdOperation *
bsd_operation_copy (const BsdOperation *op)
{
  BsdOperation *copy = g_memdup2 (op, sizeof *op);

  copy->pin = g_strdup (op->pin);
  copy->name = g_strdup (op->name);
  copy->password = g_strdup (op->password);
  copy->trigger = g_strdup (op->trigger);
  return copy;
}

void
bsd_operation_free (BsdOperation *op)
{
  if (op == NULL)
    return;
  g_free (op->pin);
  g_free (op->name);
  g_free (op->password);
  g_free (op->trigger);
  g_free (op);
}

char *
bsd_operation_target (const BsdOperation *op)
{
  switch (op->kind)
    {
    case BSD_OP_SYNC_AREA:
    case BSD_OP_PREVIEW:
      return g_strdup_printf ("area:%u", op->area_id);
    case BSD_OP_SYNC_DEVICE:
      return g_strdup_printf ("device:%u", op->device_id);
    case BSD_OP_REFRESH_LOGS:
    case BSD_OP_SET_TIME:
      return op->device_id ? g_strdup_printf ("device:%u", op->device_id) : g_strdup ("all");
    case BSD_OP_DELETE_USER:
    case BSD_OP_UPDATE_USER:
      return g_strdup_printf ("pin:%s", op->pin ? op->pin : "");
    case BSD_OP_AUTO_SYNC:
    case BSD_OP_SYNC_ALL:
    case BSD_OP_SYNC_TEMPLATES:
    case BSD_OP_BALANCE:
    default:
      return g_strdup ("all");
    }
}

gboolean
bsd_operation_equal (const BsdOperation *a, const BsdOperation *b)
{
  g_autofree char *ta = bsd_operation_target (a);
  g_autofree char *tb = bsd_operation_target (b);

  if (a->kind != b->kind || strcmp (ta, tb) != 0)
    return FALSE;
  if (a->kind == BSD_OP_UPDATE_USER)
    return g_strcmp0 (a->name, b->name) == 0 && g_strcmp0 (a->password, b->password) == 0
           && a->has_privilege == b->has_privilege && a->privilege == b->privilege
           && a->has_card == b->has_card && a->card == b->card;
  return TRUE;
}

void
bsd_job_outcome_free (BsdJobOutcome *outcome)
{
  if (outcome == NULL)
    return;
  g_free (outcome->state);
  g_free (outcome->summary);
  g_clear_pointer (&outcome->report, json_node_unref);
  g_free (outcome->report_text);
  g_free (outcome);
}

/* ----------------------------------------------------------- run state */

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

static const char *const phase_names[] = {
  "read", "apply", "logs", "clear-logs", "delete-pin", "update-pin", "set-time", "plan", "report",
};
G_STATIC_ASSERT (G_N_ELEMENTS (phase_names) == PHASE_REPORT + 1);

typedef struct _Run Run;
typedef struct _Group Group;

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
  gboolean read_logs; /* individual sync */

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
  ZkUser *update_record;   /* update-user: the roster record, uid unset */
  BsdTombstone *tombstone; /* delete-user: the deletion */
  gboolean balance;
  gboolean clear_logs;
  gboolean read_only; /* a preview: no session may change a terminal */
  guint clock_threshold;
  gint64 started;
};

static void device_ctx_free (DeviceCtx *dev);
static void group_free (Group *group);

static void
run_free (Run *run)
{
  g_clear_pointer (&run->groups, g_ptr_array_unref);
  g_clear_pointer (&run->devices, g_ptr_array_unref);
  g_clear_pointer (&run->op, bsd_operation_free);
  g_clear_object (&run->cancellable);
  g_clear_pointer (&run->update_record, zk_user_free);
  g_clear_pointer (&run->tombstone, bsd_tombstone_free);
  g_free (run);
}

static void
device_ctx_free (DeviceCtx *dev)
{
  bsd_endpoint_free (dev->endpoint);
  g_free (dev->serial);
  g_free (dev->serial_was);
  g_free (dev->firmware);
  g_clear_pointer (&dev->mark, bsd_log_watermark_free);
  bsd_contact_clear (&dev->contact);
  g_clear_pointer (&dev->snapshot, bsd_snapshot_free);
  bsd_log_read_clear (&dev->logs);
  g_clear_pointer (&dev->warnings, g_ptr_array_unref);
  g_clear_pointer (&dev->stored_uids, g_hash_table_unref);
  g_clear_pointer (&dev->cached, g_ptr_array_unref);
  if (dev->applied)
    bsd_apply_result_clear (&dev->apply);
  g_clear_error (&dev->error);
  g_clear_error (&dev->store_error);
  g_clear_pointer (&dev->removals, g_ptr_array_unref);
  g_free (dev->status);
  g_free (dev->reason);
  g_free (dev);
}

static void
group_free (Group *group)
{
  g_free (group->area_name);
  g_clear_pointer (&group->devices, g_ptr_array_unref);
  g_clear_pointer (&group->deletions, g_hash_table_unref);
  g_clear_pointer (&group->plan, bsd_plan_unref);
  g_clear_pointer (&group->plan_json, json_node_unref);
  g_clear_pointer (&group->gaps_before, json_node_unref);
  g_clear_pointer (&group->gaps_after, json_node_unref);
  g_clear_pointer (&group->people, g_ptr_array_unref);
  g_clear_pointer (&group->tombstones, g_ptr_array_unref);
  g_clear_error (&group->error);
  g_free (group);
}

static void
set_status (DeviceCtx *dev, const char *status, const char *reason)
{
  g_free (dev->status);
  dev->status = g_strdup (status);
  g_free (dev->reason);
  dev->reason = g_strdup (reason);
}

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

static void
removal_free (Removal *removal)
{
  g_free (removal->pin);
  g_free (removal->deleted_by);
  g_free (removal->outcome);
  g_free (removal->reason);
  g_free (removal->text);
  g_free (removal);
}

/* "PIN 2, deleted on 2026-12-01 10:04 by uid:1000, found again on Gate C — removed" */
static void
add_removal (DeviceCtx *dev,
             const BsdTombstone *tombstone,
             gboolean again,
             gboolean verified,
             const char *outcome,
             const char *reason)
{
  Removal *removal = g_new0 (Removal, 1);
  g_autofree char *deletion = bsd_tombstone_describe (tombstone);

  removal->pin = g_strdup (tombstone->pin);
  removal->deleted_at = tombstone->created_at;
  removal->deleted_by = g_strdup (tombstone->created_by);
  removal->verified = verified;
  removal->outcome = g_strdup (outcome);
  removal->reason = g_strdup (reason);
  removal->text
      = g_strdup_printf ("%s, found %son %s — %s%s%s", deletion, again ? "again " : "",
                         dev->endpoint->name, outcome, reason ? ": " : "", reason ? reason : "");
  if (dev->removals == NULL)
    dev->removals = g_ptr_array_new_with_free_func ((GDestroyNotify)removal_free);
  g_ptr_array_add (dev->removals, removal);
  g_message ("%s", removal->text);
}

static void
report_progress (Run *run, const char *message)
{
  double fraction = run->steps_total ? (double)run->steps_done / run->steps_total : 0.0;

  /* progress never goes back, whatever the step accounting does */
  fraction = MAX (MIN (fraction, 1.0), run->last_fraction);
  run->last_fraction = fraction;
  if (run->progress)
    run->progress (run->job_id, MIN (fraction, 1.0), message, run->progress_data);
}

/* ---------------------------------------------------------- worker pool */

typedef struct _RecoverItem RecoverItem;

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

static void
work_free (Work *work)
{
  g_clear_object (&work->recovery);
  g_free (work);
}

static void work_done_main (Work *work);
static void recover_work_run (Work *work);
static void recover_work_done (Work *work);

static gboolean
work_done_cb (gpointer data)
{
  Work *work = data;
  gint64 start = g_get_monotonic_time ();
  Phase phase = work->phase;
  gint64 took;

  if (work->recovery)
    {
      recover_work_done (work);
      return G_SOURCE_REMOVE;
    }
  work_done_main (work);
  /* the main thread's share of a job (store, plan, report) delays every
   * D-Bus call behind it: say when one step is long */
  took = g_get_monotonic_time () - start;
  if (took > 20 * 1000)
    g_debug ("engine: the main thread's part after a %s step took %" G_GINT64_FORMAT " ms",
             phase_names[phase], took / 1000);
  return G_SOURCE_REMOVE;
}

static void work_run (Work *work);
static gboolean store_is_file (BsdStore *store);
static BsdStore *writer_acquire (BsdEngine *self);
static void load_template_cache (BsdStore *store, DeviceCtx *dev);

static void
pool_func (gpointer data, gpointer user_data)
{
  Work *work = data;
  BsdEngine *self = user_data;

  if (work->recovery)
    recover_work_run (work);
  else
    work_run (work);
  /* below G_PRIORITY_DEFAULT, where GDBus dispatches method calls: a
   * client's call that is already waiting goes before the next step of a
   * job (storing a device's tables, planning an area, the report) */
  g_main_context_invoke_full (self->context, G_PRIORITY_DEFAULT + 10, work_done_cb, work,
                              (GDestroyNotify)work_free);
}

static gboolean hold_record (gpointer data, GError **error);
static void hold_forget (gpointer data);

static Work *
work_new (BsdEngine *self)
{
  Work *work = g_new0 (Work, 1);

  work->engine = self;
  work->hold.record = hold_record;
  work->hold.forget = hold_forget;
  work->hold.data = work;
  work->hold.timeout_s = self->disable_timeout_s;
  return work;
}

static void
push_work (BsdEngine *self, DeviceCtx *dev, Group *group, Phase phase)
{
  Work *work = work_new (self);

  work->dev = dev;
  work->group = group;
  work->phase = phase;
  g_thread_pool_push (self->pool, work, NULL);
}

static void
dispatch (DeviceCtx *dev, Phase phase)
{
  push_work (dev->run->engine, dev, NULL, phase);
}

static void
dispatch_group (Group *group, Phase phase)
{
  push_work (group->run->engine, NULL, group, phase);
}

/* a session that cannot change the terminal: collecting logs, and every
 * session of a job that only reads */
static gboolean
session_read_only (const Work *work)
{
  return work->dev->run->read_only || work->phase == PHASE_LOGS;
}

/* ------------------------------------------------------- worker phases */

static gboolean
clock_needs_setting (Run *run, const BsdContact *contact)
{
  return contact->have_clock && run->clock_threshold > 0
         && (guint64)ABS (contact->clock_offset) > run->clock_threshold;
}

/* another terminal answers at the device's address when its serial is not
 * the one known: nothing learnt from the old one (its log's watermark, its
 * cached templates, its snapshot) stands for it, and its punches go under
 * its own serial. Wherever a session reads the serial; TRUE when it changed */
static gboolean
check_serial (DeviceCtx *dev)
{
  const char *serial = dev->contact.info.serial;

  if (dev->serial == NULL || serial == NULL || strcmp (dev->serial, serial) == 0)
    return FALSE;
  g_message ("%s: serial number %s, not %s as before: another terminal answers at %s:%u; it is "
             "taken for a new terminal (its punches under its own serial, its log read in full)",
             dev->endpoint->name, serial, dev->serial, dev->endpoint->address, dev->endpoint->port);
  g_free (dev->serial_was);
  dev->serial_was = g_steal_pointer (&dev->serial);
  dev->serial = g_strdup (serial);
  g_clear_pointer (&dev->mark, bsd_log_watermark_free);
  return TRUE;
}

/* TRUE when @snapshot's users sit in the slots @stored (PIN → uid) says */
static gboolean
users_match (const BsdSnapshot *snapshot, GHashTable *stored)
{
  guint i;

  if (stored == NULL || g_hash_table_size (stored) != snapshot->users->len)
    return FALSE;
  for (i = 0; i < snapshot->users->len; i++)
    {
      ZkUser *u = snapshot->users->pdata[i];
      gpointer uid;

      if (!g_hash_table_lookup_extended (stored, u->user_id, NULL, &uid)
          || GPOINTER_TO_UINT (uid) != u->uid)
        return FALSE;
    }
  return TRUE;
}

/* whether ranged reads of the device are trusted: a verdict holds for
 * the firmware it was taken on */
static BsdRangedReads
ranged_state (DeviceCtx *dev)
{
  const char *firmware = dev->contact.info.firmware ? dev->contact.info.firmware : dev->firmware;

  if (dev->mark == NULL || g_strcmp0 (dev->mark->ranged_firmware, firmware) != 0)
    return BSD_RANGED_READS_UNKNOWN;
  return dev->mark->ranged;
}

static void
collect_logs (DeviceCtx *dev, ZkClient *client, gint records, GCancellable *cancellable)
{
  dev->logs_read = bsd_device_io_read_logs (client, dev->mark, ranged_state (dev), records,
                                            &dev->logs, dev->warnings, cancellable, &dev->error);
}

static void
worker_read (DeviceCtx *dev, ZkClient *client, GCancellable *cancellable)
{
  Run *run = dev->run;
  BsdReadFlags flags = BSD_READ_ALL;
  const ZkSizes *sizes = &dev->contact.info.sizes;

  if (!bsd_device_io_probe (client, dev->endpoint, &dev->contact, cancellable, &dev->error))
    return;
  /* the user table is cheap and always read; the template tables only
   * when the counts moved or a periodic full read is due, and for a new
   * terminal */
  dev->read_fingers = check_serial (dev)
                      || !(dev->cache_allowed && sizes->fingers >= 0
                           && (guint)sizes->fingers == dev->stored_fingers && sizes->faces >= 0
                           && (guint)sizes->faces == dev->stored_face_users);
  if (!dev->read_fingers)
    flags = BSD_READ_USERS;
  /* a preview says it would, in its report */
  if (clock_needs_setting (run, &dev->contact) && !run->read_only)
    {
      g_autoptr (GError) local = NULL;

      if (bsd_device_io_set_time (client, dev->endpoint, cancellable, &local))
        dev->clock_set = TRUE;
      else
        g_warning ("%s: setting the clock failed: %s", dev->endpoint->name, local->message);
    }
  dev->warnings = g_ptr_array_new_with_free_func (g_free);
  dev->snapshot = bsd_device_io_read_snapshot (client, dev->endpoint, &dev->contact, flags,
                                               dev->warnings, cancellable, &dev->error);
  if (dev->snapshot == NULL)
    return;
  /* equal counts do not prove equal tables: a user deleted at the
   * terminal (taking a fingerprint along) and a fingerprint enrolled
   * there leave the counts as they were. When the users moved, the
   * stored templates cannot stand in: read everything. */
  if (!dev->read_fingers && !users_match (dev->snapshot, dev->stored_uids))
    {
      dev->read_fingers = TRUE;
      g_clear_pointer (&dev->snapshot, bsd_snapshot_free);
      g_ptr_array_set_size (dev->warnings, 0);
      dev->snapshot
          = bsd_device_io_read_snapshot (client, dev->endpoint, &dev->contact, BSD_READ_ALL,
                                         dev->warnings, cancellable, &dev->error);
      if (dev->snapshot == NULL)
        return;
    }
  if (dev->read_logs)
    collect_logs (dev, client, dev->contact.info.sizes.records, cancellable);
}

static void
worker_logs (DeviceCtx *dev, ZkClient *client, GCancellable *cancellable)
{
  ZkSizes sizes;

  /* the natural key of a punch needs the serial, and a terminal replaced
   * behind the same address has another one: read at every collection */
  dev->contact.info.serial
      = zk_client_get_option (client, "~SerialNumber", cancellable, &dev->error);
  if (dev->contact.info.serial == NULL)
    return;
  /* a new terminal: its firmware, capacities and clock for the device's
   * health (the probe fills a cleared contact) */
  if (check_serial (dev))
    {
      bsd_contact_clear (&dev->contact);
      if (!bsd_device_io_probe (client, dev->endpoint, &dev->contact, cancellable, &dev->error))
        return;
    }
  if (!bsd_device_io_read_sizes (client, dev->endpoint, &sizes, cancellable, &dev->error))
    return;
  dev->contact.info.sizes = sizes;
  dev->warnings = g_ptr_array_new_with_free_func (g_free);
  collect_logs (dev, client, sizes.records, cancellable);
}

static void
worker_clear_logs (DeviceCtx *dev, ZkClient *client, BsdHold *hold, GCancellable *cancellable)
{
  ZkSizes sizes;

  /* disabled, no punch can land between the count and the clear */
  /* every record the device holds is committed, and none came since */
  if (bsd_device_io_hold (client, hold, cancellable, &dev->error)
      && zk_client_get_sizes (client, &sizes, cancellable, &dev->error) && sizes.records >= 0
      && dev->logs.complete && (guint)sizes.records == dev->logs.log_count
      && zk_client_clear_attendance (client, cancellable, &dev->error))
    dev->logs_cleared = TRUE;
  bsd_device_io_release (client, dev->endpoint, hold, dev->error ? NULL : &dev->error);
}

static ZkUser *
find_user (GPtrArray *users, const char *pin)
{
  guint i;

  for (i = 0; users && i < users->len; i++)
    {
      ZkUser *u = users->pdata[i];

      if (strcmp (u->user_id, pin) == 0)
        return u;
    }
  return NULL;
}

static void
worker_delete_pin (DeviceCtx *dev, ZkClient *client, BsdHold *hold, GCancellable *cancellable)
{
  Run *run = dev->run;
  g_autoptr (GPtrArray) users
      = bsd_device_io_read_users (client, dev->endpoint, cancellable, &dev->error);
  g_autoptr (GPtrArray) after = NULL;
  ZkUser *user;

  if (users == NULL)
    return;
  user = find_user (users, run->op->pin);
  if (user == NULL)
    {
      dev->done_ok = TRUE;
      dev->snapshot = bsd_snapshot_new (dev->endpoint->device_id, dev->endpoint->name);
      g_ptr_array_extend_and_steal (dev->snapshot->users, g_steal_pointer (&users));
      return;
    }
  dev->was_present = TRUE;
  if (bsd_device_io_hold (client, hold, cancellable, &dev->error)
      && !zk_client_delete_user (client, user->uid, cancellable, &dev->error)
      && zk_error_get_subcode (dev->error) == 2)
    g_clear_error (&dev->error); /* gone already */
  bsd_device_io_release (client, dev->endpoint, hold, NULL);
  if (dev->error)
    return;
  after = bsd_device_io_read_users (client, dev->endpoint, cancellable, &dev->error);
  if (after == NULL)
    return;
  dev->done_ok = find_user (after, run->op->pin) == NULL;
  if (!dev->done_ok)
    g_set_error (&dev->error, ZK_ERROR, ZK_ERROR_FAILED,
                 "the device acknowledged the deletion but still holds PIN %s", run->op->pin);
  dev->snapshot = bsd_snapshot_new (dev->endpoint->device_id, dev->endpoint->name);
  g_ptr_array_extend_and_steal (dev->snapshot->users, g_steal_pointer (&after));
}

static void
worker_update_pin (DeviceCtx *dev, ZkClient *client, GCancellable *cancellable)
{
  Run *run = dev->run;
  const ZkUser *want = run->update_record;
  g_autoptr (GPtrArray) users
      = bsd_device_io_read_users (client, dev->endpoint, cancellable, &dev->error);
  g_autoptr (GPtrArray) after = NULL;
  g_autoptr (ZkUser) record = NULL;
  ZkUser *user;
  ZkUser *got;

  if (users == NULL)
    return;
  user = find_user (users, run->op->pin);
  if (user == NULL)
    {
      dev->done_ok = TRUE;
      return;
    }
  dev->was_present = TRUE;
  record = zk_user_copy (want);
  record->uid = user->uid;
  memcpy (record->timezones, user->timezones, sizeof record->timezones);
  if (!zk_client_set_user (client, record, cancellable, &dev->error))
    return;
  zk_client_refresh_data (client, NULL, NULL);
  after = bsd_device_io_read_users (client, dev->endpoint, cancellable, &dev->error);
  if (after == NULL)
    return;
  got = find_user (after, run->op->pin);
  dev->done_ok = got != NULL && zk_user_same_record (got, record);
  if (!dev->done_ok)
    g_set_error (&dev->error, ZK_ERROR, ZK_ERROR_FAILED,
                 "the device acknowledged the update but holds another record for PIN %s",
                 run->op->pin);
}

static void
worker_set_time (DeviceCtx *dev, ZkClient *client, GCancellable *cancellable)
{
  if (!bsd_device_io_set_time (client, dev->endpoint, cancellable, &dev->error))
    return;
  dev->clock_set = TRUE;
  dev->done_ok
      = bsd_device_io_probe (client, dev->endpoint, &dev->contact, cancellable, &dev->error);
  check_serial (dev);
}

static void worker_store (DeviceCtx *dev, Phase phase);

static void group_work_run (Group *group, Phase phase);

static void
work_run (Work *work)
{
  DeviceCtx *dev = work->dev;
  BsdHold *hold = &work->hold;
  Run *run;
  BsdEngine *self;
  GCancellable *cancellable;
  g_autoptr (ZkClient) client = NULL;

  if (work->group)
    {
      group_work_run (work->group, work->phase);
      return;
    }
  run = dev->run;
  self = run->engine;
  cancellable = run->cancellable;

  if (dev->cache_pending)
    {
      BsdStore *writer = writer_acquire (self);

      dev->cache_pending = FALSE;
      if (writer)
        load_template_cache (writer, dev);
      else
        dev->cache_allowed = FALSE; /* read everything, as without a cache */
      g_mutex_unlock (&self->writer_lock);
    }
  if (!bsd_session_gate_acquire (self->gate, dev->endpoint->device_id, cancellable, NULL))
    {
      g_set_error (&dev->error, ZK_ERROR, ZK_ERROR_CANCELLED, "cancelled");
      return;
    }
  client = bsd_device_io_open (dev->endpoint, &self->retry, session_read_only (work), cancellable,
                               &dev->error);
  if (client != NULL)
    {
      switch (work->phase)
        {
        case PHASE_READ:
          worker_read (dev, client, cancellable);
          break;
        case PHASE_APPLY:
          bsd_apply_result_init (&dev->apply);
          dev->applied = TRUE;
          bsd_device_io_apply (client, dev->endpoint, &dev->contact, dev->plan, hold, &dev->apply,
                               cancellable, &dev->error);
          break;
        case PHASE_LOGS:
          worker_logs (dev, client, cancellable);
          break;
        case PHASE_CLEAR_LOGS:
          worker_clear_logs (dev, client, hold, cancellable);
          break;
        case PHASE_DELETE_PIN:
          worker_delete_pin (dev, client, hold, cancellable);
          break;
        case PHASE_UPDATE_PIN:
          worker_update_pin (dev, client, cancellable);
          break;
        case PHASE_SET_TIME:
          worker_set_time (dev, client, cancellable);
          break;
        case PHASE_PLAN:
        case PHASE_REPORT:
        default:
          g_assert_not_reached ();
        }
      bsd_device_io_close (client, cancellable);
    }
  bsd_session_gate_release (self->gate, dev->endpoint->device_id);
  /* the session is closed and the slot free: now the database work */
  worker_store (dev, work->phase);
}

/* ------------------------------------------------ storing what was read */

static char *
sha256_of (GBytes *bytes)
{
  return g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, bytes);
}

static const char *
state_for_error (const GError *error)
{
  if (g_error_matches (error, ZK_ERROR, ZK_ERROR_TIMED_OUT)
      || g_error_matches (error, ZK_ERROR, ZK_ERROR_UNREACHABLE)
      || g_error_matches (error, ZK_ERROR, ZK_ERROR_CLOSED))
    return "offline";
  return "error";
}

static void
store_health (BsdStore *store, DeviceCtx *dev)
{
  g_autoptr (BsdDevice) device = bsd_store_get_device (store, dev->endpoint->device_id, NULL);
  g_autoptr (GError) error = NULL;
  const ZkDeviceInfo *info = &dev->contact.info;
  BsdDeviceHealth *h;

  if (device == NULL)
    return; /* removed meanwhile */
  h = &device->health;
  if (dev->error && !dev->contact.info.serial)
    {
      bsd_store_set_device_state (store, device->id, state_for_error (dev->error),
                                  dev->error->message, NULL);
      return;
    }
  g_free (h->state);
  h->state = g_strdup (dev->error ? "error" : "online");
  h->last_seen = g_get_real_time ();
  g_free (h->last_error);
  h->last_error = dev->error ? g_strdup (dev->error->message) : NULL;
#define SET_STR(field, value)                                                                      \
  if (value)                                                                                       \
    {                                                                                              \
      g_free (h->field);                                                                           \
      h->field = g_strdup (value);                                                                 \
    }
  SET_STR (serial, info->serial);
  SET_STR (platform, info->platform);
  SET_STR (firmware, info->firmware);
  SET_STR (fp_version, info->fp_version);
#undef SET_STR
  /* capabilities only from a full probe (a log collection reads less) */
  if (info->fp_version)
    {
      g_free (h->face_version);
      h->face_version = zk_device_info_face_capable (info) ? g_strdup (info->face_version) : NULL;
      h->face_supported = zk_device_info_face_capable (info);
    }
  if (info->sizes.n_ints > 0)
    {
      h->users = (guint)MAX (info->sizes.users, 0);
      h->fingerprints = (guint)MAX (info->sizes.fingers, 0);
      h->faces = (guint)MAX (info->sizes.faces, 0);
      h->records = (guint)MAX (info->sizes.records, 0);
      h->user_capacity = (guint)MAX (info->sizes.user_capacity, 0);
      h->fingerprint_capacity = (guint)MAX (info->sizes.finger_capacity, 0);
      h->face_capacity = (guint)MAX (info->sizes.face_capacity, 0);
      h->record_capacity = (guint)MAX (info->sizes.record_capacity, 0);
    }
  if (dev->contact.have_clock)
    h->clock_offset = dev->clock_set ? 0 : dev->contact.clock_offset;
  /* another terminal: what was read from the old one, and its last good
   * sync, are not this one's */
  if (dev->serial_was)
    {
      g_autoptr (GError) local = NULL;

      h->last_sync = 0;
      if (!bsd_store_forget_device_snapshot (store, device->id, &local))
        g_warning ("%s: %s", device->name, local->message);
    }
  if (!bsd_store_update_device_health (store, device->id, h, &error))
    g_warning ("recording the health of %s: %s", device->name, error->message);
  if (info->serial && g_strcmp0 (dev->serial, info->serial) != 0)
    {
      g_free (dev->serial);
      dev->serial = g_strdup (info->serial);
    }
}

/* users, template hashes, template bytes and roster entries of a snapshot,
 * inside the caller's transaction */
static gboolean
store_snapshot_rows (BsdStore *store, DeviceCtx *dev, const BsdSnapshot *snap, GError **error)
{
  g_autoptr (GPtrArray) templates
      = g_ptr_array_new_with_free_func ((GDestroyNotify)bsd_device_template_free);
  g_autoptr (GHashTable) uid_pin = bsd_snapshot_dup_uid_map (snap);
  /* the store refuses a PIN or slot twice: give it the planner's view
   * (first record per PIN and per slot) */
  g_autoptr (GPtrArray) users = g_ptr_array_new ();
  g_autoptr (GHashTable) pins = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GHashTable) slots = g_hash_table_new (g_direct_hash, g_direct_equal);
  /* what the last stored snapshot of this device held: unchanged users
   * and templates need no roster or template writes (the snapshot rows
   * themselves are replaced whole) */
  g_autoptr (GHashTable) known = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GPtrArray) old_users
      = bsd_store_get_device_users (store, dev->endpoint->device_id, NULL);
  g_autoptr (GPtrArray) old_templates
      = dev->store_all_templates
            ? NULL
            : bsd_store_get_device_templates (store, dev->endpoint->device_id, NULL);
  g_autoptr (GHashTable) old_records = g_hash_table_new (g_str_hash, g_str_equal);
  guint i;

  for (i = 0; old_templates && i < old_templates->len; i++)
    {
      BsdDeviceTemplate *dt = old_templates->pdata[i];

      g_hash_table_add (known,
                        g_strdup_printf ("%s/%d/%u/%s", dt->pin, dt->kind, dt->idx, dt->hash));
    }
  for (i = 0; old_users && i < old_users->len; i++)
    {
      ZkUser *u = old_users->pdata[i];

      g_hash_table_insert (old_records, u->user_id, u);
    }

  for (i = 0; i < snap->templates->len + snap->faces->len; i++)
    {
      gboolean finger = i < snap->templates->len;
      ZkTemplate *t = finger ? snap->templates->pdata[i] : NULL;
      ZkFace *f = finger ? NULL : snap->faces->pdata[i - snap->templates->len];
      guint16 uid = finger ? t->uid : f->uid;
      guint idx = finger ? t->fid : f->fid;
      guint8 valid = finger ? t->valid : f->valid;
      GBytes *data = finger ? t->data : f->data;
      BsdTemplateKind kind = finger ? BSD_TEMPLATE_KIND_FINGER : BSD_TEMPLATE_KIND_FACE;
      const char *version = finger ? snap->fp_version : snap->face_version;
      const char *pin = g_hash_table_lookup (uid_pin, GUINT_TO_POINTER (uid));
      g_autofree char *hash = NULL;

      /* no PIN, or an algorithm the device would not name (~ZKFPVersion
       * refused): the planner leaves such a template where it is, with its
       * reason, and there is nothing to store it under */
      if (pin == NULL || version == NULL || version[0] == '\0')
        continue;
      hash = sha256_of (data);
      {
        g_autofree char *key = g_strdup_printf ("%s/%d/%u/%s", pin, kind, idx, hash);

        if (g_hash_table_contains (known, key))
          {
            g_ptr_array_add (templates, bsd_device_template_new (pin, kind, idx, hash));
            continue;
          }
      }
      if (!bsd_store_add_template (store, pin, kind, idx, version ? version : "", valid, data, NULL,
                                   NULL, error))
        return FALSE;
      g_ptr_array_add (templates, bsd_device_template_new (pin, kind, idx, hash));
    }
  for (i = 0; i < snap->users->len; i++)
    {
      ZkUser *u = snap->users->pdata[i];

      if (u->user_id[0] == '\0' || !g_utf8_validate (u->user_id, -1, NULL)
          || g_hash_table_contains (pins, u->user_id)
          || g_hash_table_contains (slots, GUINT_TO_POINTER (u->uid)))
        continue;
      g_hash_table_add (pins, u->user_id);
      g_hash_table_add (slots, GUINT_TO_POINTER (u->uid));
      g_ptr_array_add (users, u);
      {
        ZkUser *before = g_hash_table_lookup (old_records, u->user_id);

        if (before && zk_user_same_record (before, u))
          continue;
      }
      if (!bsd_store_upsert_person_from_device (store, u, NULL, error))
        return FALSE;
    }
  return bsd_store_replace_device_snapshot (store, dev->endpoint->device_id, users, templates,
                                            error);
}

static gboolean
store_snapshot (BsdStore *store, DeviceCtx *dev, const BsdSnapshot *snap, GError **error)
{

  if (!bsd_store_begin (store, error))
    return FALSE;
  if (!store_snapshot_rows (store, dev, snap, error))
    {
      bsd_store_rollback (store, NULL);
      return FALSE;
    }
  return bsd_store_commit (store, error);
}

/* when the counts did not change, the stored templates of the device
 * (resolved when the run was set up) stand in for a read of its tables */
static void
fill_templates_from_cache (DeviceCtx *dev)
{
  BsdSnapshot *snap = dev->snapshot;
  g_autoptr (GHashTable) pin_uid = g_hash_table_new (g_str_hash, g_str_equal);
  guint i;

  for (i = 0; i < snap->users->len; i++)
    {
      ZkUser *u = snap->users->pdata[i];

      g_hash_table_insert (pin_uid, u->user_id, GUINT_TO_POINTER (u->uid));
    }
  for (i = 0; dev->cached && i < dev->cached->len; i++)
    {
      BsdTemplate *t = dev->cached->pdata[i];
      gpointer uid;

      if (!g_hash_table_lookup_extended (pin_uid, t->pin, NULL, &uid))
        continue;
      if (t->kind == BSD_TEMPLATE_KIND_FINGER)
        g_ptr_array_add (snap->templates,
                         zk_template_new (GPOINTER_TO_UINT (uid), t->idx, t->valid, t->data));
      else
        g_ptr_array_add (snap->faces,
                         zk_face_new (GPOINTER_TO_UINT (uid), t->idx, t->valid, t->data));
    }
}

/* the bytes of every template the device's stored snapshot lists; NULL
 * when one of them is not in the store (then the cache cannot be used) */
static GPtrArray *
resolve_stored_templates (BsdStore *store, GPtrArray *held)
{
  g_autoptr (GPtrArray) resolved
      = g_ptr_array_new_with_free_func ((GDestroyNotify)bsd_template_free);
  g_autoptr (GHashTable) by_pin
      = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify)g_ptr_array_unref);
  guint i, j;

  for (i = 0; i < held->len; i++)
    {
      BsdDeviceTemplate *dt = held->pdata[i];
      GPtrArray *all = g_hash_table_lookup (by_pin, dt->pin);
      gboolean found = FALSE;

      if (all == NULL)
        {
          all = bsd_store_list_templates (store, dt->pin, NULL);
          if (all == NULL)
            return NULL;
          g_hash_table_insert (by_pin, g_strdup (dt->pin), all);
        }
      for (j = 0; j < all->len && !found; j++)
        {
          BsdTemplate *t = all->pdata[j];

          if (t->kind == dt->kind && t->idx == dt->idx && g_strcmp0 (t->hash, dt->hash) == 0)
            {
              g_ptr_array_add (resolved, g_ptr_array_steal_index (all, j));
              found = TRUE;
            }
        }
      if (!found)
        return NULL;
    }
  return g_steal_pointer (&resolved);
}

/* what the store holds of a device's templates, so that an unchanged
 * device's templates need not be read again (dev->cache_allowed stays
 * TRUE only when all of it is there) */
static void
load_template_cache (BsdStore *store, DeviceCtx *dev)
{
  g_autoptr (GPtrArray) held
      = bsd_store_get_device_templates (store, dev->endpoint->device_id, NULL);
  g_autoptr (GHashTable) face_pins = g_hash_table_new (g_str_hash, g_str_equal);
  guint i;

  for (i = 0; held && i < held->len; i++)
    {
      BsdDeviceTemplate *t = held->pdata[i];

      if (t->kind == BSD_TEMPLATE_KIND_FINGER)
        dev->stored_fingers++;
      else
        g_hash_table_add (face_pins, t->pin);
    }
  dev->stored_face_users = g_hash_table_size (face_pins);
  if (held == NULL)
    {
      dev->cache_allowed = FALSE;
      return;
    }
  dev->cached = resolve_stored_templates (store, held);
  dev->store_all_templates = dev->cached == NULL;
  if (dev->cached == NULL)
    {
      dev->cache_allowed = FALSE;
      return;
    }
  dev->stored_uids = bsd_store_get_device_uid_map (store, dev->endpoint->device_id, NULL);
}

/* the read snapshot as the planner and the store want it */
static void
prepare_read_snapshot (DeviceCtx *dev)
{
  if (dev->prepared || dev->snapshot == NULL)
    return;
  dev->prepared = TRUE;
  if (!dev->read_fingers)
    fill_templates_from_cache (dev);
  dev->have_read = TRUE;
  dev->n_read_users = dev->snapshot->users->len;
  dev->n_read_fingers = dev->snapshot->templates->len;
  dev->n_read_faces = dev->snapshot->faces->len;
}

/* the read-back holds the tables that were written; what was not read
 * back is as it was read */
static void
prepare_after (DeviceCtx *dev)
{
  BsdSnapshot *after = dev->apply.after;

  if (dev->after_prepared || after == NULL)
    return;
  dev->after_prepared = TRUE;
  if (dev->plan->templates_add->len == 0)
    g_ptr_array_extend (after->templates, dev->snapshot->templates, (GCopyFunc)zk_template_copy,
                        NULL);
  if (dev->plan->faces_add->len == 0)
    g_ptr_array_extend (after->faces, dev->snapshot->faces, (GCopyFunc)zk_face_copy, NULL);
}

/* only a database in a file can have a second connection */
static gboolean
store_is_file (BsdStore *store)
{
  const char *path = bsd_store_get_path (store);

  return path && *path && !g_str_equal (path, ":memory:");
}

/* Workers' own connection to the database (opened on first use), locked:
 * unlock with g_mutex_unlock (&self->writer_lock). NULL when there is
 * none (an in-memory database has no second connection): the main thread
 * does the work then. */
static BsdStore *
writer_acquire (BsdEngine *self)
{
  g_mutex_lock (&self->writer_lock);
  if (self->writer == NULL && !self->writer_failed)
    {
      g_autoptr (GError) error = NULL;

      if (store_is_file (self->store))
        self->writer = bsd_store_open (bsd_store_get_path (self->store), &error);
      if (self->writer == NULL)
        {
          self->writer_failed = TRUE;
          if (error)
            g_warning ("a second database connection for workers: %s", error->message);
        }
    }
  return self->writer;
}

/* what a contact of @phase tells about the device's health */
static gboolean
wants_health (DeviceCtx *dev, Phase phase)
{
  return phase == PHASE_LOGS || phase == PHASE_SET_TIME
         || (phase == PHASE_READ && (dev->contact.info.serial || dev->error));
}

/* ------------------------------------------- disabled terminals, recorded */

struct _RecoverItem
{
  BsdEndpoint *endpoint;
  gboolean enabled;
  gboolean gone; /* no longer recorded: a job's session re-enabled it first */
  GError *error;
};

static guint
work_device_id (const Work *work)
{
  return work->dev ? work->dev->endpoint->device_id : work->item->endpoint->device_id;
}

/* the row that lets the next start re-enable a terminal a crash left
 * disabled. Written with the workers' connection inside the session, so
 * it never interleaves with another job's session to the same terminal */
static gboolean
hold_record (gpointer data, GError **error)
{
  Work *work = data;
  BsdEngine *self = work->engine;
  BsdStore *writer = writer_acquire (self);
  gboolean ok = TRUE;

  if (writer)
    ok = bsd_store_add_disabled_device (writer, work_device_id (work),
                                        work->dev ? work->dev->run->job_id : 0, error);
  else if (store_is_file (self->store))
    {
      ok = FALSE;
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                           "the workers have no database connection");
    }
  /* an in-memory database does not outlive a crash: nothing to record */
  g_mutex_unlock (&self->writer_lock);
  return ok;
}

static void
hold_forget (gpointer data)
{
  Work *work = data;
  BsdEngine *self = work->engine;
  BsdStore *writer = writer_acquire (self);
  g_autoptr (GError) error = NULL;

  if (writer && !bsd_store_remove_disabled_device (writer, work_device_id (work), &error))
    g_warning ("forgetting that device %u was disabled: %s", work_device_id (work), error->message);
  g_mutex_unlock (&self->writer_lock);
}

/* whether the terminal is still recorded as disabled (a job's session may
 * have re-enabled it since the list was read) */
static gboolean
hold_still_recorded (Work *work)
{
  BsdEngine *self = work->engine;
  BsdStore *writer = writer_acquire (self);
  g_autoptr (GArray) rows = writer ? bsd_store_list_disabled_devices (writer, NULL) : NULL;
  gboolean found = writer == NULL;
  guint i;

  g_mutex_unlock (&self->writer_lock);
  for (i = 0; rows && i < rows->len && !found; i++)
    found = g_array_index (rows, BsdDisabledDevice, i).device_id == work_device_id (work);
  return found;
}

/* in the worker thread, with the engine's second connection: the main
 * thread's connection would wait for the lock that a big snapshot holds
 * here, and with it the main loop */
static void
worker_store (DeviceCtx *dev, Phase phase)
{
  BsdEngine *self = dev->run->engine;
  const BsdSnapshot *snap = NULL;
  BsdStore *writer;

  if (phase == PHASE_READ && dev->error == NULL && dev->snapshot)
    {
      prepare_read_snapshot (dev);
      snap = dev->snapshot;
    }
  else if (phase == PHASE_APPLY && dev->applied && dev->apply.after)
    {
      prepare_after (dev);
      snap = dev->apply.after;
    }
  if (snap == NULL && !wants_health (dev, phase))
    return;

  writer = writer_acquire (self);
  /* the health first: for a new terminal it forgets the old one's snapshot */
  if (writer && wants_health (dev, phase))
    {
      dev->health_stored = TRUE;
      store_health (writer, dev);
    }
  if (writer && snap)
    {
      dev->stored = TRUE;
      store_snapshot (writer, dev, snap, &dev->store_error);
    }
  g_mutex_unlock (&self->writer_lock);
}

/* -------------------------------------------------------------- reports */

/* text from terminals and callers goes in as it is: the store makes every
 * string of a report valid when it is written (bsd_job_report_to_text ()) */
static void
json_add_str (JsonBuilder *b, const char *key, const char *value)
{
  json_builder_set_member_name (b, key);
  if (value)
    json_builder_add_string_value (b, value);
  else
    json_builder_add_null_value (b);
}

static void
json_add_uint (JsonBuilder *b, const char *key, guint64 value)
{
  json_builder_set_member_name (b, key);
  json_builder_add_int_value (b, (gint64)value);
}

/* what a log collection read and why: "mode" full, tail (only what
 * followed the newest record collected before) or unchanged */
static void
add_attendance_report (JsonBuilder *b, DeviceCtx *dev)
{
  const BsdLogRead *logs = &dev->logs;

  json_builder_set_member_name (b, "attendance");
  json_builder_begin_object (b);
  json_add_str (b, "mode", logs->unchanged ? "unchanged" : logs->tail ? "tail" : "full");
  if (logs->why_full)
    json_add_str (b, "full_read_reason", logs->why_full);
  json_add_uint (b, "device_records", logs->log_count);
  json_add_uint (b, "read", dev->attendance_read);
  json_add_uint (b, "inserted", dev->logs_inserted);
  json_add_uint (b, "duplicates", dev->logs_duplicates);
  json_builder_set_member_name (b, "unchanged");
  json_builder_add_boolean_value (b, logs->unchanged);
  json_builder_set_member_name (b, "cleared");
  json_builder_add_boolean_value (b, dev->logs_cleared);
  json_add_str (b, "ranged_reads", bsd_ranged_reads_to_string (logs->ranged));
  if (logs->ranged_note)
    json_add_str (b, "ranged_reads_note", logs->ranged_note);
  json_builder_end_object (b);
}

static void
add_device_report (JsonBuilder *b, DeviceCtx *dev)
{
  BsdApplyResult *a = dev->applied ? &dev->apply : NULL;
  guint i;

  json_builder_begin_object (b);
  json_add_uint (b, "id", dev->endpoint->device_id);
  json_add_str (b, "name", dev->endpoint->name);
  json_add_str (b, "serial", dev->serial);
  if (dev->serial_was)
    {
      json_builder_set_member_name (b, "serial_changed");
      json_builder_begin_object (b);
      json_add_str (b, "from", dev->serial_was);
      json_add_str (b, "to", dev->serial);
      json_builder_end_object (b);
    }
  json_add_str (b, "status", dev->status);
  json_add_str (b, "reason", dev->reason);
  if (dev->contact.have_clock)
    {
      json_builder_set_member_name (b, "clock_offset_s");
      json_builder_add_int_value (b, dev->contact.clock_offset);
      json_builder_set_member_name (b, "clock_set");
      json_builder_add_boolean_value (b, dev->clock_set);
      if (dev->run->read_only)
        {
          json_builder_set_member_name (b, "would_set_clock");
          json_builder_add_boolean_value (b, clock_needs_setting (dev->run, &dev->contact));
        }
    }
  if (dev->have_read)
    {
      json_builder_set_member_name (b, "read");
      json_builder_begin_object (b);
      json_add_uint (b, "users", dev->n_read_users);
      json_add_uint (b, "fingerprints", dev->n_read_fingers);
      json_add_uint (b, "faces", dev->n_read_faces);
      json_builder_set_member_name (b, "fingerprints_from_cache");
      json_builder_add_boolean_value (b, dev->group && !dev->read_fingers);
      json_builder_end_object (b);
    }
  if (a)
    {
      json_add_uint (b, "users_added", a->users_added);
      json_add_uint (b, "users_updated", a->users_updated);
      json_add_uint (b, "users_deleted", a->users_deleted);
      json_add_uint (b, "fingerprints_added", a->templates_added);
      json_add_uint (b, "faces_added", a->faces_added);
      /* a device that refuses every write fails every item: list a few */
      json_add_uint (b, "failures_total", a->failures->len);
      json_builder_set_member_name (b, "failures");
      json_builder_begin_array (b);
      for (i = 0; i < MIN (a->failures->len, REPORT_MAX_ITEMS); i++)
        {
          BsdItemFailure *f = a->failures->pdata[i];

          json_builder_begin_object (b);
          json_add_str (b, "kind", bsd_plan_item_kind_to_string (f->kind));
          json_add_str (b, "pin", f->pin);
          if (f->index >= 0)
            json_add_uint (b, "index", (guint)f->index);
          json_add_str (b, "action", f->action);
          json_add_str (b, "reason", f->reason);
          json_builder_end_object (b);
        }
      json_builder_end_array (b);
    }
  if (dev->have_attendance)
    add_attendance_report (b, dev);
  if (dev->warnings && dev->warnings->len > 0)
    {
      json_builder_set_member_name (b, "warnings");
      json_builder_begin_array (b);
      for (i = 0; i < MIN (dev->warnings->len, 100); i++)
        json_builder_add_string_value (b, dev->warnings->pdata[i]);
      json_builder_end_array (b);
    }
  json_builder_end_object (b);
}

/* "removals": every deleted PIN found on a device, across the run */
static void
add_removals_report (JsonBuilder *b, Run *run)
{
  json_builder_set_member_name (b, "removals");
  json_builder_begin_array (b);
  for (guint i = 0; i < run->devices->len; i++)
    {
      DeviceCtx *dev = run->devices->pdata[i];

      for (guint j = 0; dev->removals && j < dev->removals->len; j++)
        {
          Removal *r = dev->removals->pdata[j];

          json_builder_begin_object (b);
          json_add_str (b, "pin", r->pin);
          json_builder_set_member_name (b, "deleted_at");
          json_builder_add_int_value (b, r->deleted_at);
          json_add_str (b, "deleted_by", r->deleted_by);
          json_add_uint (b, "device_id", dev->endpoint->device_id);
          json_add_str (b, "device", dev->endpoint->name);
          json_add_str (b, "outcome", r->outcome);
          json_builder_set_member_name (b, "verified");
          json_builder_add_boolean_value (b, r->verified);
          json_add_str (b, "reason", r->reason);
          json_add_str (b, "text", r->text);
          json_builder_end_object (b);
        }
    }
  json_builder_end_array (b);
}

/* ---------------------------------------------------------- finishing */

static guint
count_status (Run *run, const char *status)
{
  guint n = 0, i;

  for (i = 0; i < run->devices->len; i++)
    {
      DeviceCtx *dev = run->devices->pdata[i];

      n += g_strcmp0 (dev->status, status) == 0;
    }
  return n;
}

static void
record_device_results (Run *run)
{
  guint i;

  for (i = 0; i < run->devices->len; i++)
    {
      DeviceCtx *dev = run->devices->pdata[i];
      g_autoptr (JsonBuilder) b = json_builder_new ();
      g_autoptr (JsonNode) node = NULL;
      g_autofree char *details = NULL;
      g_autofree char *reason = NULL;
      g_autoptr (GError) error = NULL;
      BsdJobDeviceResult r = { 0 };

      add_device_report (b, dev);
      node = json_builder_get_root (b);
      details = bsd_job_report_to_text (node);
      reason = dev->reason ? bsd_job_text_sanitize (dev->reason) : NULL;
      r.device_id = dev->endpoint->device_id;
      r.device_name = dev->endpoint->name;
      r.status = dev->status ? dev->status : (char *)"skipped";
      r.reason = reason;
      if (dev->applied)
        {
          r.added = dev->apply.users_added + dev->apply.templates_added + dev->apply.faces_added;
          r.updated = dev->apply.users_updated;
          r.deleted = dev->apply.users_deleted;
          r.failed = dev->apply.failures->len;
        }
      else if (dev->have_attendance)
        r.added = dev->logs_inserted;
      r.skipped = dev->skips;
      r.details = details;
      if (!bsd_store_add_job_device_result (run->engine->store, run->job_id, &r, &error))
        g_warning ("recording the result of %s: %s", dev->endpoint->name, error->message);
    }
}

/* what a job that only read left undone that a sync would do besides its
 * plan: set clocks ("set the clock of A, +3600 s") */
static GPtrArray *
run_would_also (Run *run)
{
  GPtrArray *texts = g_ptr_array_new_with_free_func (g_free);
  guint i;

  for (i = 0; run->read_only && i < run->devices->len; i++)
    {
      DeviceCtx *dev = run->devices->pdata[i];

      if (clock_needs_setting (run, &dev->contact))
        g_ptr_array_add (texts, g_strdup_printf ("set the clock of %s, %+" G_GINT64_FORMAT " s",
                                                 dev->endpoint->name, dev->contact.clock_offset));
    }
  return texts;
}

static void
run_finish (Run *run)
{
  BsdEngine *self = run->engine;
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (GError) error = NULL;
  BsdJobOutcome *outcome = g_new0 (BsdJobOutcome, 1);
  g_autofree char *target = bsd_operation_target (run->op);
  guint ok = count_status (run, "ok"), partial = count_status (run, "partial");
  guint failed = count_status (run, "failed"), unreachable = count_status (run, "unreachable");
  guint cancelled = count_status (run, "cancelled");
  g_autoptr (GPtrArray) would_also = run_would_also (run);
  guint i;

  if (g_cancellable_is_cancelled (run->cancellable) || cancelled > 0)
    outcome->state = g_strdup ("cancelled");
  else if (run->devices->len > 0 && ok + partial == 0 && failed + unreachable > 0)
    outcome->state = g_strdup ("failed");
  else if (partial + failed + unreachable > 0)
    outcome->state = g_strdup ("partial");
  else
    outcome->state = g_strdup ("succeeded");

  if (run->devices->len == 0)
    outcome->summary = g_strdup ("no devices to work on");
  else
    {
      GString *s = g_string_new (NULL);

      g_string_append_printf (s, "%u of %u devices ok", ok, run->devices->len);
      if (partial)
        g_string_append_printf (s, ", %u partial", partial);
      if (failed)
        g_string_append_printf (s, ", %u failed", failed);
      if (unreachable)
        g_string_append_printf (s, ", %u unreachable", unreachable);
      if (cancelled)
        g_string_append_printf (s, ", %u cancelled", cancelled);
      if (would_also->len > 0)
        {
          g_autofree char *joined = NULL;

          g_ptr_array_add (would_also, NULL);
          joined = g_strjoinv ("; ", (char **)would_also->pdata);
          g_ptr_array_set_size (would_also, would_also->len - 1);
          g_string_append_printf (s, "; a sync would also %s", joined);
        }
      outcome->summary = g_string_free (s, FALSE);
    }

  json_builder_begin_object (b);
  json_add_str (b, "kind", bsd_op_kind_to_string (run->op->kind));
  json_add_str (b, "target", target);
  json_add_str (b, "trigger", run->op->trigger ? run->op->trigger : "scheduler");
  json_add_str (b, "state", outcome->state);
  json_add_str (b, "summary", outcome->summary);
  json_builder_set_member_name (b, "duration_ms");
  json_builder_add_int_value (b, (g_get_monotonic_time () - run->started) / 1000);
  if (run->op->pin)
    json_add_str (b, "pin", run->op->pin);
  if (run->read_only)
    {
      json_builder_set_member_name (b, "would_also");
      json_builder_begin_array (b);
      for (i = 0; i < would_also->len; i++)
        json_builder_add_string_value (b, would_also->pdata[i]);
      json_builder_end_array (b);
    }
  if (run->groups->len > 0)
    {
      json_builder_set_member_name (b, "areas");
      json_builder_begin_array (b);
      for (i = 0; i < run->groups->len; i++)
        {
          Group *g = run->groups->pdata[i];

          json_builder_begin_object (b);
          if (g->area_id)
            {
              json_add_uint (b, "id", g->area_id);
              json_add_str (b, "name", g->area_name);
            }
          else
            json_add_str (b, "individual", g->area_name);
          if (g->plan_json)
            {
              json_builder_set_member_name (b, "primary");
              json_builder_add_int_value (b, g->primary_device_id);
              json_builder_set_member_name (b, "plan");
              json_builder_add_value (b, json_node_copy (g->plan_json));
            }
          if (g->gaps_before)
            {
              json_builder_set_member_name (b, "gaps_before");
              json_builder_add_value (b, json_node_copy (g->gaps_before));
            }
          if (g->gaps_after)
            {
              json_builder_set_member_name (b, "gaps_after");
              json_builder_add_value (b, json_node_copy (g->gaps_after));
            }
          json_builder_end_object (b);
        }
      json_builder_end_array (b);
    }
  add_removals_report (b, run);
  json_builder_set_member_name (b, "devices");
  json_builder_begin_array (b);
  for (i = 0; i < run->devices->len; i++)
    add_device_report (b, run->devices->pdata[i]);
  json_builder_end_array (b);
  json_builder_end_object (b);
  outcome->report = json_builder_get_root (b);
  outcome->job_id = run->job_id;

  record_device_results (run);
  /* the row ends whatever the report holds: the Job object shows what the
   * row holds (a minimal report when the full one could not be stored) */
  outcome->report_text = bsd_store_finish_job_report (self->store, run->job_id, outcome->state,
                                                      outcome->summary, &outcome->report, &error);
  if (outcome->report_text == NULL)
    {
      g_warning ("recording job %" G_GINT64_FORMAT ": %s", run->job_id, error->message);
      outcome->report_text = bsd_job_report_to_text (outcome->report);
    }

  run->steps_done = run->steps_total;
  report_progress (run, outcome->summary);
  g_task_return_pointer (run->task, outcome, (GDestroyNotify)bsd_job_outcome_free);
  g_clear_object (&run->task);
}

static void
run_part_done (Run *run)
{
  g_assert (run->pending > 0);
  if (--run->pending == 0)
    run_finish (run);
}

/* ------------------------------------------------------ group workflow */

static const char *
status_for_error (const GError *error)
{
  if (g_error_matches (error, ZK_ERROR, ZK_ERROR_CANCELLED)
      || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return "cancelled";
  if (g_error_matches (error, ZK_ERROR, ZK_ERROR_TIMED_OUT)
      || g_error_matches (error, ZK_ERROR, ZK_ERROR_UNREACHABLE)
      || g_error_matches (error, ZK_ERROR, ZK_ERROR_CLOSED))
    return "unreachable";
  return "failed";
}

static void group_apply (Group *group);
static void group_finish (Group *group);

/* the roster and the tombstones, for a group step in a worker: read with
 * the workers' connection, or on the main thread beforehand when the
 * store has no second connection (an in-memory database) */
static gboolean
load_roster (BsdStore *store, Group *group, GError **error)
{
  if (group->people == NULL)
    group->people = bsd_store_list_people (store, error);
  if (group->people != NULL && group->tombstones == NULL)
    group->tombstones = bsd_store_list_deletions (store, error);
  return group->people != NULL && group->tombstones != NULL;
}

static void
prefetch_roster (Group *group)
{
  BsdEngine *self = group->run->engine;
  gboolean second;

  g_mutex_lock (&self->writer_lock);
  second = store_is_file (self->store) && !self->writer_failed;
  g_mutex_unlock (&self->writer_lock);
  if (!second && !load_roster (self->store, group, &group->error))
    g_prefix_error (&group->error, "planning: ");
}

/* in the worker: FALSE (with @error, or group->error) when the roster
 * cannot be read */
static gboolean
worker_load_roster (Group *group, GError **error)
{
  BsdEngine *self = group->run->engine;
  BsdStore *writer;
  gboolean ok;

  /* the prefetch failed (group->error says why) */
  if (group->error)
    return FALSE;
  writer = writer_acquire (self);
  if (writer)
    ok = load_roster (writer, group, error);
  else
    {
      /* the second connection failed since the roster was not prefetched */
      ok = group->people != NULL && group->tombstones != NULL;
      if (!ok)
        g_set_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_FAILED,
                     "planning: no database connection for the planner");
    }
  g_mutex_unlock (&self->writer_lock);
  return ok;
}

static BsdPlanInput *
group_input (Group *group, gboolean after)
{
  BsdPlanInput *input = bsd_plan_input_new ();
  guint i;

  input->area_id = group->area_id;
  input->area_name = g_strdup (group->area_name);
  for (i = 0; i < group->devices->len; i++)
    {
      DeviceCtx *dev = group->devices->pdata[i];
      BsdSnapshot *snap
          = after && dev->applied && dev->apply.after ? dev->apply.after : dev->snapshot;

      if (snap == NULL)
        bsd_plan_input_add_unreachable (input, dev->endpoint->device_id);
      else
        bsd_plan_input_add_snapshot (input, bsd_snapshot_copy (snap));
    }
  for (i = 0; i < group->people->len; i++)
    bsd_plan_input_add_person (input, bsd_person_copy (group->people->pdata[i]));
  for (i = 0; i < group->tombstones->len; i++)
    bsd_plan_input_add_tombstone (input, ((BsdTombstone *)group->tombstones->pdata[i])->pin);
  return input;
}

/* the deletions the plan removes somewhere, for the report: PIN →
 * BsdTombstone*, taken from group->tombstones */
static void
keep_deletions (Group *group)
{
  guint i = 0;

  group->deletions
      = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify)bsd_tombstone_free);
  while (i < group->tombstones->len)
    {
      BsdTombstone *t = group->tombstones->pdata[i];

      if (g_ptr_array_find_with_equal_func (group->plan->deleted_pins, t->pin, g_str_equal, NULL))
        g_hash_table_insert (group->deletions, t->pin,
                             g_ptr_array_steal_index_fast (group->tombstones, i));
      else
        i++;
    }
}

/* in the worker (PHASE_PLAN): the group's plan, or group->error */
static void
worker_plan (Group *group)
{
  g_autoptr (BsdPlanInput) input = NULL;

  if (!worker_load_roster (group, &group->error))
    return;
  input = group_input (group, FALSE);
  group->plan = bsd_plan_compute (input, &group->error);
  if (group->plan && group->run->balance)
    group->gaps_before = bsd_plan_gaps (input, NULL);
  if (group->plan)
    keep_deletions (group);
  /* the report step reads the roster again, as it is then */
  g_clear_pointer (&group->people, g_ptr_array_unref);
  g_clear_pointer (&group->tombstones, g_ptr_array_unref);
}

/* every device of the group is read: plan in a worker */
static void
group_plan (Group *group)
{
  Run *run = group->run;
  g_autofree char *message = g_strdup_printf ("planning %s", group->area_name);

  if (g_cancellable_is_cancelled (run->cancellable))
    {
      group_finish (group);
      return;
    }
  report_progress (run, message);
  prefetch_roster (group);
  dispatch_group (group, PHASE_PLAN);
}

/* back on the main thread with the plan */
static void
group_planned (Group *group)
{
  Run *run = group->run;
  guint i;

  if (group->plan == NULL)
    {
      for (i = 0; i < group->devices->len; i++)
        {
          DeviceCtx *dev = group->devices->pdata[i];

          if (dev->status == NULL)
            set_status (dev, "failed", group->error->message);
        }
      group_finish (group);
      return;
    }
  for (i = 0; i < group->devices->len; i++)
    {
      DeviceCtx *dev = group->devices->pdata[i];

      dev->plan = bsd_plan_get_device (group->plan, dev->endpoint->device_id);
    }
  /* cancelled while planning: nothing is written */
  if (g_cancellable_is_cancelled (run->cancellable))
    {
      group_finish (group);
      return;
    }
  if (group->preview)
    {
      for (i = 0; i < group->devices->len; i++)
        {
          DeviceCtx *dev = group->devices->pdata[i];

          if (dev->status == NULL)
            set_status (dev, "ok", "previewed, nothing written");
        }
      group_finish (group);
      return;
    }
  group_apply (group);
}

/* a plan the preflight failed still holds its deletions */
static gboolean
plan_has_writes (const BsdDevicePlan *plan)
{
  return plan
         && plan->users_add->len + plan->users_update->len + plan->users_delete->len
                    + plan->templates_add->len + plan->faces_add->len
                > 0;
}

static const char *
delete_failure (const BsdApplyResult *apply, const char *pin)
{
  for (guint i = 0; i < apply->failures->len; i++)
    {
      BsdItemFailure *f = apply->failures->pdata[i];

      if (f->kind == BSD_PLAN_ITEM_USER && g_strcmp0 (f->action, "delete") == 0
          && g_strcmp0 (f->pin, pin) == 0)
        return f->reason;
    }
  return NULL;
}

/* every deleted PIN the plan found on @dev, with what became of it: call
 * once the device's apply step is done (or was never dispatched) */
static void
collect_removals (Group *group, DeviceCtx *dev)
{
  for (guint i = 0; dev->plan && i < dev->plan->users_delete->len; i++)
    {
      BsdPlanUser *u = dev->plan->users_delete->pdata[i];
      const BsdTombstone *t
          = group->deletions ? g_hash_table_lookup (group->deletions, u->pin) : NULL;
      const char *reason;

      if (t == NULL)
        continue;
      if (group->preview)
        add_removal (dev, t, TRUE, FALSE, "would be removed", NULL);
      else if (!dev->applied)
        add_removal (dev, t, TRUE, FALSE, "not removed", dev->reason ? dev->reason : "not written");
      else if (g_ptr_array_find_with_equal_func (dev->apply.deleted_pins, u->pin, g_str_equal,
                                                 NULL))
        add_removal (dev, t, TRUE, TRUE, "removed", NULL);
      else if ((reason = delete_failure (&dev->apply, u->pin)) != NULL)
        add_removal (dev, t, TRUE, FALSE, "removal failed", reason);
      else if (dev->apply.cancelled)
        add_removal (dev, t, TRUE, FALSE, "not removed", "cancelled");
      else
        add_removal (dev, t, TRUE, FALSE, "removal not verified",
                     dev->error ? dev->error->message : "the device could not be read back");
    }
}

static void
group_apply (Group *group)
{
  Run *run = group->run;
  guint i;

  group->pending = 0;
  for (i = 0; i < group->devices->len; i++)
    {
      DeviceCtx *dev = group->devices->pdata[i];

      /* its apply step is done unless dispatched below (undone there) */
      run->steps_done++;
      if (dev->status != NULL)
        continue; /* unreachable or failed while reading */
      if (!plan_has_writes (dev->plan))
        {
          if (dev->plan && dev->plan->failed)
            set_status (dev, "failed", dev->plan->failure);
          else
            set_status (dev, "ok", NULL);
          continue;
        }
      group->pending++;
      run->steps_done--;
      dispatch (dev, PHASE_APPLY);
    }
  if (group->pending == 0)
    group_finish (group);
}

static void
log_area_sync (Group *group)
{
  guint added = 0, updated = 0, deleted = 0, fingers = 0, faces = 0, failures = 0, i;
  const char *primary = "none";

  for (i = 0; i < group->devices->len; i++)
    {
      DeviceCtx *dev = group->devices->pdata[i];

      if (group->plan && dev->endpoint->device_id == group->plan->primary_device_id)
        primary = dev->endpoint->name;
      if (!dev->applied)
        continue;
      added += dev->apply.users_added;
      updated += dev->apply.users_updated;
      deleted += dev->apply.users_deleted;
      fingers += dev->apply.templates_added;
      faces += dev->apply.faces_added;
      failures += dev->apply.failures->len;
    }
  g_message ("Area sync %s (area %u): primary %s, %u devices, %u users added, %u updated, "
             "%u deleted, %u fingerprints and %u faces added, %u conflicts, %u failures",
             group->area_name, group->area_id, primary, group->devices->len, added, updated,
             deleted, fingers, faces, group->plan ? group->plan->conflicts->len : 0, failures);
}

/* in the worker (PHASE_REPORT): what the report keeps of the group, then
 * the release of what a big area holds (snapshots, read-backs, the plan's
 * template bytes) */
static void
worker_report (Group *group)
{
  guint i;

  if (group->run->balance && group->plan && worker_load_roster (group, NULL))
    {
      g_autoptr (BsdPlanInput) after = group_input (group, TRUE);

      group->gaps_after = bsd_plan_gaps (after, NULL);
    }
  if (group->plan)
    {
      group->primary_device_id = group->plan->primary_device_id;
      group->plan_json = bsd_plan_to_json_full (group->plan, REPORT_MAX_ITEMS);
    }
  for (i = 0; i < group->devices->len; i++)
    {
      DeviceCtx *dev = group->devices->pdata[i];

      if (dev->plan)
        dev->skips = dev->plan->skips->len;
      dev->plan = NULL;
      g_clear_pointer (&dev->snapshot, bsd_snapshot_free);
      g_clear_pointer (&dev->cached, g_ptr_array_unref);
      if (dev->applied)
        g_clear_pointer (&dev->apply.after, bsd_snapshot_free);
    }
  g_clear_pointer (&group->plan, bsd_plan_unref);
  g_clear_pointer (&group->people, g_ptr_array_unref);
  g_clear_pointer (&group->tombstones, g_ptr_array_unref);
}

static void
group_work_run (Group *group, Phase phase)
{
  if (phase == PHASE_PLAN)
    worker_plan (group);
  else
    worker_report (group);
}

static void
group_finish (Group *group)
{
  Run *run = group->run;
  BsdStore *store = run->engine->store;
  guint i;

  g_assert (!group->finished);
  group->finished = TRUE;
  for (i = 0; i < group->devices->len; i++)
    {
      DeviceCtx *dev = group->devices->pdata[i];

      if (dev->status == NULL)
        set_status (dev, g_cancellable_is_cancelled (run->cancellable) ? "cancelled" : "ok", NULL);
      /* nothing to write is a good sync too */
      if (!group->preview && !dev->applied && dev->snapshot && g_strcmp0 (dev->status, "ok") == 0)
        {
          g_autoptr (BsdDevice) device
              = bsd_store_get_device (store, dev->endpoint->device_id, NULL);

          if (device)
            {
              device->health.last_sync = g_get_real_time ();
              bsd_store_update_device_health (store, device->id, &device->health, NULL);
            }
        }
    }
  if (group->area_id && group->plan && !group->preview)
    {
      if (group->plan->primary_device_id)
        bsd_store_set_area_primary (store, group->area_id, group->plan->primary_device_id, NULL);
      bsd_store_set_area_last_sync (store, group->area_id, g_get_real_time (), NULL);
      log_area_sync (group);
    }
  /* applied devices collected theirs when their apply step ended */
  for (i = 0; i < group->devices->len; i++)
    {
      DeviceCtx *dev = group->devices->pdata[i];

      if (!dev->applied)
        collect_removals (group, dev);
    }
  if (run->balance && group->plan)
    prefetch_roster (group);
  dispatch_group (group, PHASE_REPORT);
}

/* ------------------------------------------------- main-thread hand-off */

static void
store_attendance (Run *run, DeviceCtx *dev)
{
  BsdStore *store = run->engine->store;
  BsdLogRead *logs = &dev->logs;
  g_autoptr (GTimeZone) tz = bsd_endpoint_get_time_zone (dev->endpoint);
  g_autoptr (GError) error = NULL;
  const char *firmware = dev->contact.info.firmware ? dev->contact.info.firmware : dev->firmware;

  if (!dev->logs_read || dev->serial == NULL)
    return;
  dev->have_attendance = TRUE;
  dev->attendance_read = logs->records ? logs->records->len : 0;
  /* the rows and the watermark (count, newest record) in one transaction */
  if (logs->records != NULL
      && !bsd_store_add_attendance_log (
          store, dev->endpoint->device_id, dev->serial, tz, logs->records, logs->log_count,
          bsd_log_read_get_newest (logs), &dev->logs_inserted, &dev->logs_duplicates, &error))
    {
      set_status (dev, "failed", error->message);
      return;
    }
  if (logs->ranged_changed)
    {
      if (!bsd_store_set_ranged_reads (store, dev->serial, logs->ranged, firmware, &error))
        g_warning ("%s: %s", dev->endpoint->name, error->message);
      else
        g_message ("%s: ranged attendance reads %s: %s", dev->endpoint->name,
                   bsd_ranged_reads_to_string (logs->ranged), logs->ranged_note);
    }
  /* committed: the rows live in the database now */
  g_clear_pointer (&logs->records, g_ptr_array_unref);
  /* only a log whose every record is committed may be cleared */
  if (run->clear_logs && logs->complete && logs->log_count > 0
      && !g_cancellable_is_cancelled (run->cancellable))
    {
      run->pending++;
      dispatch (dev, PHASE_CLEAR_LOGS);
    }
}

static void
read_done (DeviceCtx *dev)
{
  Run *run = dev->run;
  Group *group = dev->group;
  g_autoptr (GError) error = NULL;

  if (wants_health (dev, PHASE_READ) && !dev->health_stored)
    store_health (run->engine->store, dev);
  if (dev->error)
    {
      set_status (dev, status_for_error (dev->error), dev->error->message);
      g_clear_pointer (&dev->snapshot, bsd_snapshot_free);
    }
  else
    {
      if (dev->read_fingers)
        {
          gint64 *now = g_new (gint64, 1);

          *now = g_get_monotonic_time ();
          g_hash_table_insert (run->engine->last_full_read,
                               GUINT_TO_POINTER (dev->endpoint->device_id), now);
        }
      prepare_read_snapshot (dev);
      if (!dev->stored)
        store_snapshot (run->engine->store, dev, dev->snapshot, &dev->store_error);
      if (dev->store_error)
        {
          error = g_error_copy (dev->store_error);
          set_status (dev, "failed", error->message);
        }
      if (error)
        g_clear_pointer (&dev->snapshot, bsd_snapshot_free);
      if (dev->read_logs)
        store_attendance (run, dev);
    }
  g_assert (group->pending > 0);
  if (--group->pending == 0)
    group_plan (group);
}

/* the read-back's counts are what the device holds now; a sync that
 * reached its end without a device error is its last good sync */
static void
store_counts_after (Run *run, DeviceCtx *dev, const BsdSnapshot *after)
{
  BsdStore *store = run->engine->store;
  g_autoptr (BsdDevice) device = bsd_store_get_device (store, dev->endpoint->device_id, NULL);
  g_autoptr (GHashTable) face_users = g_hash_table_new (g_direct_hash, g_direct_equal);
  guint i;

  if (device == NULL)
    return;
  for (i = 0; i < after->faces->len; i++)
    g_hash_table_add (face_users, GUINT_TO_POINTER (((ZkFace *)after->faces->pdata[i])->uid));
  device->health.users = after->users->len;
  device->health.fingerprints = after->templates->len;
  device->health.faces = g_hash_table_size (face_users);
  if (dev->error == NULL && !dev->apply.cancelled && !dev->plan->failed)
    device->health.last_sync = g_get_real_time ();
  bsd_store_update_device_health (store, device->id, &device->health, NULL);
}

static void
apply_done (DeviceCtx *dev)
{
  Run *run = dev->run;
  BsdStore *store = run->engine->store;

  if (dev->apply.after)
    {
      /* the read-back is what the device holds now */
      prepare_after (dev);
      if (!dev->stored)
        store_snapshot (store, dev, dev->apply.after, &dev->store_error);
      if (dev->store_error)
        g_warning ("recording the read-back of %s: %s", dev->endpoint->name,
                   dev->store_error->message);
    }
  collect_removals (dev->group, dev);
  if (dev->apply.after)
    store_counts_after (run, dev, dev->apply.after);
  /* stored; only Balance's after-gaps look at it again */
  if (!run->balance)
    g_clear_pointer (&dev->apply.after, bsd_snapshot_free);
  if (dev->error)
    set_status (dev, status_for_error (dev->error), dev->error->message);
  else if (dev->apply.cancelled)
    set_status (dev, "cancelled", "stopped at a safe point");
  else if (dev->plan->failed)
    set_status (dev, "failed", dev->plan->failure); /* its deletions are in the removals */
  else if (dev->apply.failures->len > 0)
    {
      g_autofree char *reason
          = g_strdup_printf ("%u planned changes did not hold", dev->apply.failures->len);

      set_status (dev, "partial", reason);
    }
  else
    set_status (dev, "ok", NULL);
  if (--dev->group->pending == 0)
    group_finish (dev->group);
}

static void
flat_done (DeviceCtx *dev, Phase phase)
{
  Run *run = dev->run;
  BsdStore *store = run->engine->store;

  switch (phase)
    {
    case PHASE_LOGS:
      if (!dev->health_stored)
        store_health (store, dev);
      if (dev->error)
        set_status (dev, status_for_error (dev->error), dev->error->message);
      else
        {
          g_autofree char *replaced = NULL;
          const char *reason = dev->logs.unchanged ? "no new records" : NULL;

          if (dev->serial_was)
            reason = replaced
                = g_strdup_printf ("another terminal: serial %s, before %s; its whole log was read",
                                   dev->serial, dev->serial_was);
          set_status (dev, "ok", reason);
          store_attendance (run, dev);
        }
      break;
    case PHASE_CLEAR_LOGS:
      if (dev->error)
        set_status (dev, "partial", dev->error->message);
      if (dev->logs_cleared && dev->serial)
        {
          g_autoptr (GPtrArray) none = g_ptr_array_new ();
          g_autoptr (GError) error = NULL;

          /* the watermark counts the device log: after a clear it holds
           * nothing, else as many new punches as were cleared would be
           * taken for "nothing new" and not collected */
          if (!bsd_store_add_attendance (store, dev->endpoint->device_id, dev->serial, NULL, none,
                                         NULL, NULL, &error))
            g_warning ("resetting the log watermark of %s: %s", dev->endpoint->name,
                       error->message);
        }
      break;
    case PHASE_DELETE_PIN:
      if (dev->snapshot)
        {
          bsd_store_replace_device_snapshot (store, dev->endpoint->device_id, dev->snapshot->users,
                                             NULL, NULL);
        }
      if (dev->done_ok)
        set_status (dev, "ok", dev->was_present ? "deleted" : "not on the device");
      else
        set_status (dev, status_for_error (dev->error),
                    dev->error ? dev->error->message : "not deleted");
      if (dev->was_present && run->tombstone)
        add_removal (dev, run->tombstone, FALSE, dev->done_ok,
                     dev->done_ok ? "removed" : "removal failed",
                     dev->done_ok ? NULL : dev->reason);
      break;
    case PHASE_UPDATE_PIN:
      if (dev->done_ok)
        set_status (dev, "ok", dev->was_present ? "updated" : "not on the device");
      else
        set_status (dev, status_for_error (dev->error),
                    dev->error ? dev->error->message : "not updated");
      break;
    case PHASE_SET_TIME:
      if (!dev->health_stored)
        store_health (store, dev);
      if (dev->done_ok)
        set_status (dev, "ok", "clock set");
      else
        set_status (dev, status_for_error (dev->error),
                    dev->error ? dev->error->message : "clock not set");
      break;
    case PHASE_READ:
    case PHASE_APPLY:
    case PHASE_PLAN:
    case PHASE_REPORT:
    default:
      g_assert_not_reached ();
    }
}

static void
work_done_phase (DeviceCtx *dev, Phase phase)
{
  Run *run = dev->run;

  /* clearing logs is a tail of the collection step, not a step of its own */
  if (phase != PHASE_CLEAR_LOGS)
    run->steps_done++;
  report_progress (run, dev->endpoint->name);
  switch (phase)
    {
    case PHASE_READ:
      read_done (dev);
      return;
    case PHASE_APPLY:
      apply_done (dev);
      return;
    case PHASE_LOGS:
    case PHASE_CLEAR_LOGS:
    case PHASE_DELETE_PIN:
    case PHASE_UPDATE_PIN:
    case PHASE_SET_TIME:
    case PHASE_PLAN:
    case PHASE_REPORT:
    default:
      flat_done (dev, phase);
      run_part_done (run);
      return;
    }
}

/* finishing a run may drop the last reference to its task, which frees
 * the run: callers that go on using it hold the task meanwhile */
static void
work_done_main (Work *work)
{
  Run *run = work->group ? work->group->run : work->dev->run;
  GTask *task = g_object_ref (run->task);

  /* the record stays: the next start re-enables it, if its own timeout has not */
  if (work->dev && bsd_hold_left_disabled (&work->hold))
    g_warning ("%s stayed disabled; it re-enables itself after %u s", work->dev->endpoint->name,
               work->hold.timeout_s);
  if (work->phase == PHASE_PLAN)
    group_planned (work->group);
  else if (work->phase == PHASE_REPORT)
    run_part_done (run);
  else
    work_done_phase (work->dev, work->phase);
  g_object_unref (task);
}

/* --------------------------------------------------------- setting up */

/* a zone is loaded by name only: one stored before zones were checked
 * by name (a path) is not loaded at all */
static BsdEndpoint *
device_endpoint (const BsdDevice *device, guint32 comm_key)
{
  const char *zone = device->time_zone;

  if (!bsd_time_zone_is_valid (zone))
    {
      g_warning ("%s: the time zone “%s” is not a zone of the system's database; using the "
                 "system's zone",
                 device->name, zone);
      zone = NULL;
    }
  return bsd_endpoint_new (device->id, device->name, device->address, device->port,
                           device->protocol, comm_key, device->timeout_ms, zone);
}

static DeviceCtx *
device_ctx_new (Run *run, Group *group, const BsdDevice *device, GError **error)
{
  BsdEngine *self = run->engine;
  DeviceCtx *dev;
  guint32 key = 0;

  if (!bsd_store_get_comm_key (self->store, device->id, &key, error))
    return NULL;
  dev = g_new0 (DeviceCtx, 1);
  dev->run = run;
  dev->group = group;
  dev->endpoint = device_endpoint (device, key);
  dev->serial = g_strdup (device->health.serial);
  dev->read_fingers = TRUE;
  dev->firmware = g_strdup (device->health.firmware);
  if (dev->serial)
    dev->mark = bsd_store_get_log_watermark (self->store, dev->serial, NULL);
  if (group && self->full_read_interval_s > 0)
    {
      gpointer last;

      if (g_hash_table_lookup_extended (self->last_full_read, GUINT_TO_POINTER (device->id), NULL,
                                        &last)
          && g_get_monotonic_time () - *(gint64 *)last
                 < (gint64)self->full_read_interval_s * G_USEC_PER_SEC)
        {
          dev->cache_allowed = TRUE;
          /* the worker loads it with its own connection, off the main
           * thread; an in-memory database has only this one */
          if (store_is_file (self->store))
            dev->cache_pending = TRUE;
          else
            load_template_cache (self->store, dev);
        }
    }
  g_ptr_array_add (run->devices, dev);
  return dev;
}

static Group *
group_new (Run *run, guint area_id, const char *name)
{
  Group *group = g_new0 (Group, 1);

  group->run = run;
  group->area_id = area_id;
  group->area_name = g_strdup (name);
  group->devices = g_ptr_array_new ();
  group->preview = run->op->kind == BSD_OP_PREVIEW;
  g_ptr_array_add (run->groups, group);
  return group;
}

static gboolean
add_area_group (Run *run, const BsdArea *area, GError **error)
{
  g_autoptr (GPtrArray) devices = bsd_store_list_area_devices (run->engine->store, area->id, error);
  Group *group;
  guint i;

  if (devices == NULL)
    return FALSE;
  group = group_new (run, area->id, area->name);
  for (i = 0; i < devices->len; i++)
    {
      BsdDevice *device = devices->pdata[i];
      DeviceCtx *dev;

      if (!device->enabled)
        continue;
      dev = device_ctx_new (run, group, device, error);
      if (dev == NULL)
        return FALSE;
      g_ptr_array_add (group->devices, dev);
    }
  return TRUE;
}

static gboolean
add_individual_group (Run *run, const BsdDevice *device, GError **error)
{
  Group *group = group_new (run, 0, device->name);
  DeviceCtx *dev = device_ctx_new (run, group, device, error);

  if (dev == NULL)
    return FALSE;
  dev->read_logs = TRUE;
  g_ptr_array_add (group->devices, dev);
  return TRUE;
}

static gboolean
add_all_areas (Run *run, GError **error)
{
  g_autoptr (GPtrArray) areas = bsd_store_list_areas (run->engine->store, error);
  guint i;

  if (areas == NULL)
    return FALSE;
  for (i = 0; i < areas->len; i++)
    if (!add_area_group (run, areas->pdata[i], error))
      return FALSE;
  return TRUE;
}

static gboolean
add_unassigned (Run *run, GError **error)
{
  g_autoptr (GPtrArray) devices = bsd_store_list_area_devices (run->engine->store, 0, error);
  guint i;

  if (devices == NULL)
    return FALSE;
  for (i = 0; i < devices->len; i++)
    {
      BsdDevice *device = devices->pdata[i];

      if (device->enabled && !add_individual_group (run, device, error))
        return FALSE;
    }
  return TRUE;
}

static gboolean
add_flat_devices (Run *run, guint device_id, GError **error)
{
  g_autoptr (GPtrArray) devices = NULL;
  guint i;

  if (device_id)
    {
      BsdDevice *device = bsd_store_get_device (run->engine->store, device_id, error);

      if (device == NULL)
        return FALSE;
      devices = g_ptr_array_new_with_free_func ((GDestroyNotify)bsd_device_free);
      g_ptr_array_add (devices, device);
    }
  else
    {
      devices = bsd_store_list_devices (run->engine->store, error);
      if (devices == NULL)
        return FALSE;
    }
  for (i = 0; i < devices->len; i++)
    {
      BsdDevice *device = devices->pdata[i];

      if ((device->enabled || device_id) && device_ctx_new (run, NULL, device, error) == NULL)
        return FALSE;
    }
  return TRUE;
}

static gboolean
build_run (Run *run, GError **error)
{
  BsdStore *store = run->engine->store;
  BsdOperation *op = run->op;

  switch (op->kind)
    {
    case BSD_OP_SYNC_AREA:
    case BSD_OP_PREVIEW:
      {
        g_autoptr (BsdArea) area = bsd_store_get_area (store, op->area_id, error);

        if (area == NULL || !add_area_group (run, area, error))
          return FALSE;
        break;
      }
    case BSD_OP_SYNC_DEVICE:
      {
        g_autoptr (BsdDevice) device = bsd_store_get_device (store, op->device_id, error);

        if (device == NULL)
          return FALSE;
        if (device->area_id)
          {
            g_autoptr (BsdArea) area = bsd_store_get_area (store, device->area_id, error);

            if (area == NULL || !add_area_group (run, area, error))
              return FALSE;
          }
        else if (!add_individual_group (run, device, error))
          return FALSE;
        break;
      }
    case BSD_OP_AUTO_SYNC:
    case BSD_OP_SYNC_ALL:
      if (!add_all_areas (run, error) || !add_unassigned (run, error))
        return FALSE;
      break;
    case BSD_OP_BALANCE:
      run->balance = TRUE;
      if (!add_all_areas (run, error))
        return FALSE;
      break;
    case BSD_OP_SYNC_TEMPLATES:
      if (!add_all_areas (run, error))
        return FALSE;
      break;
    case BSD_OP_REFRESH_LOGS:
    case BSD_OP_SET_TIME:
    case BSD_OP_DELETE_USER:
      if (!add_flat_devices (run, op->kind == BSD_OP_DELETE_USER ? 0 : op->device_id, error))
        return FALSE;
      break;
    case BSD_OP_UPDATE_USER:
      if (!add_flat_devices (run, 0, error))
        return FALSE;
      break;
    default:
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "unknown operation");
      return FALSE;
    }
  return TRUE;
}

/* user-level preparations that must happen before any device is touched */
static gboolean
prepare_user_ops (Run *run, GError **error)
{
  BsdStore *store = run->engine->store;
  BsdOperation *op = run->op;

  if (op->kind == BSD_OP_DELETE_USER)
    {
      if (!bsd_store_add_tombstone (store, op->pin, op->trigger, error))
        return FALSE;
      run->tombstone = bsd_store_get_tombstone (store, op->pin, error);
      return run->tombstone != NULL;
    }
  if (op->kind == BSD_OP_UPDATE_USER)
    {
      BsdPersonEdit edit = { 0 };
      g_autoptr (BsdPerson) person = NULL;
      ZkUser *record;

      edit.name = op->name;
      edit.password = op->password;
      edit.has_privilege = op->has_privilege;
      edit.privilege = op->privilege;
      edit.has_card = op->has_card;
      edit.card = op->card;
      if (!bsd_store_edit_person (store, op->pin, &edit, error))
        return FALSE;
      person = bsd_store_get_person (store, op->pin, error);
      if (person == NULL)
        return FALSE;
      record = zk_user_new ();
      g_free (record->name);
      record->name = g_strdup (person->name ? person->name : "");
      record->privilege = person->privilege;
      g_strlcpy (record->password, person->password ? person->password : "",
                 sizeof record->password);
      record->card = person->card;
      record->group = person->group;
      g_strlcpy (record->user_id, op->pin, sizeof record->user_id);
      run->update_record = record;
    }
  return TRUE;
}

static gboolean
validate (BsdEngine *self, const BsdOperation *op, GError **error)
{
  if ((op->kind == BSD_OP_DELETE_USER || op->kind == BSD_OP_UPDATE_USER)
      && (op->pin == NULL || op->pin[0] == '\0' || strlen (op->pin) > 24
          || !g_utf8_validate (op->pin, -1, NULL)))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "a PIN is 1 to 24 characters of text");
      return FALSE;
    }
  return TRUE;
}

static void
run_start_parts (Run *run)
{
  guint i, j;

  run->steps_total = 0;
  for (i = 0; i < run->groups->len; i++)
    {
      Group *group = run->groups->pdata[i];

      run->pending++;
      /* read and apply: a device with nothing to write skips its second step */
      run->steps_total += 2 * group->devices->len;
    }
  for (i = 0; i < run->devices->len; i++)
    if (((DeviceCtx *)run->devices->pdata[i])->group == NULL)
      {
        run->pending++;
        run->steps_total++;
      }
  report_progress (run, "starting");
  if (run->pending == 0)
    {
      run_finish (run);
      return;
    }

  for (i = 0; i < run->groups->len; i++)
    {
      Group *group = run->groups->pdata[i];

      group->pending = group->devices->len;
      if (group->pending == 0)
        {
          group_plan (group);
          continue;
        }
      for (j = 0; j < group->devices->len; j++)
        dispatch (group->devices->pdata[j], PHASE_READ);
    }
  for (i = 0; i < run->devices->len; i++)
    {
      DeviceCtx *dev = run->devices->pdata[i];
      Phase phase;

      if (dev->group)
        continue;
      if (run->op->kind == BSD_OP_REFRESH_LOGS)
        phase = PHASE_LOGS;
      else if (run->op->kind == BSD_OP_DELETE_USER)
        phase = PHASE_DELETE_PIN;
      else if (run->op->kind == BSD_OP_UPDATE_USER)
        phase = PHASE_UPDATE_PIN;
      else
        phase = PHASE_SET_TIME;
      dispatch (dev, phase);
    }
}

static void
run_start (Run *run)
{
  GTask *hold = g_object_ref (run->task);

  run_start_parts (run);
  g_object_unref (hold);
}

/* a run that cannot start still ends its row */
static void
fail_row (BsdEngine *self, gint64 job_id, const GError *error)
{
  g_autofree char *summary = bsd_job_text_sanitize (error->message);

  if (job_id > 0)
    bsd_store_finish_job (self->store, job_id, "failed", summary, NULL, NULL);
}

void
bsd_engine_run_async (BsdEngine *self,
                      const BsdOperation *op,
                      GCancellable *cancellable,
                      BsdProgressFunc progress,
                      gpointer progress_data,
                      GAsyncReadyCallback callback,
                      gpointer user_data)
{
  g_autoptr (GTask) task = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *target = NULL;
  Run *run;
  guint uint_value = 0;
  gboolean bool_value = FALSE;

  g_return_if_fail (BSD_IS_ENGINE (self));
  g_return_if_fail (op != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, bsd_engine_run_async);
  /* a cancelled run still finishes with its outcome (state "cancelled",
   * the report, the job id): GTask would otherwise replace it with
   * G_IO_ERROR_CANCELLED and the caller would lose the report */
  g_task_set_check_cancellable (task, FALSE);
  if (!validate (self, op, &error))
    {
      fail_row (self, op->job_id, error);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  run = g_new0 (Run, 1);
  run->engine = self;
  run->task = task;
  run->op = bsd_operation_copy (op);
  run->cancellable = cancellable ? g_object_ref (cancellable) : g_cancellable_new ();
  run->progress = progress;
  run->progress_data = progress_data;
  run->groups = g_ptr_array_new_with_free_func ((GDestroyNotify)group_free);
  run->devices = g_ptr_array_new_with_free_func ((GDestroyNotify)device_ctx_free);
  run->started = g_get_monotonic_time ();
  /* the run lives as long as the task */
  g_object_set_data_full (G_OBJECT (task), "bsd-run", run, (GDestroyNotify)run_free);

  bsd_store_get_setting_uint (self->store, "ClockThreshold", &uint_value, NULL);
  run->clock_threshold = uint_value;
  bsd_store_get_setting_bool (self->store, "ClearLogsAfterDownload", &bool_value, NULL);
  run->clear_logs = bool_value;
  run->read_only = op->kind == BSD_OP_PREVIEW;

  if (!build_run (run, &error))
    {
      fail_row (self, op->job_id, error);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  target = bsd_operation_target (op);
  if (op->job_id > 0)
    run->job_id = op->job_id;
  else
    run->job_id = bsd_store_create_job (self->store, bsd_op_kind_to_string (op->kind), target,
                                        op->trigger ? op->trigger : "scheduler",
                                        op->requested_by_uid, &error);
  if (run->job_id == 0 || !bsd_store_set_job_running (self->store, run->job_id, &error)
      || !prepare_user_ops (run, &error))
    {
      fail_row (self, run->job_id, error);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_object_ref (task); /* released when the run returns its result */
  run_start (run);
}

BsdJobOutcome *
bsd_engine_run_finish (BsdEngine *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

gint64
bsd_engine_run_get_job_id (GAsyncResult *result)
{
  Run *run = g_object_get_data (G_OBJECT (result), "bsd-run");

  return run ? run->job_id : 0;
}

/* for the _sync wrappers: the result, once there */
static void
keep_result_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  *(GAsyncResult **)user_data = g_object_ref (result);
  g_main_context_wakeup (NULL);
}

/* iterates the engine's context until keep_result_cb stored the result */
static GAsyncResult *
wait_result (BsdEngine *self, GAsyncResult **result)
{
  while (*result == NULL)
    g_main_context_iteration (self->context, TRUE);
  return *result;
}

BsdJobOutcome *
bsd_engine_run_sync (BsdEngine *self,
                     const BsdOperation *op,
                     GCancellable *cancellable,
                     GError **error)
{
  g_autoptr (GAsyncResult) result = NULL;

  g_return_val_if_fail (BSD_IS_ENGINE (self), NULL);
  bsd_engine_run_async (self, op, cancellable, NULL, NULL, keep_result_cb, &result);
  return bsd_engine_run_finish (self, wait_result (self, &result), error);
}

/* ---------------------------------------------------------- recovery */

typedef struct
{
  GPtrArray *items; /* RecoverItem* */
  guint pending;
  guint enabled;
} Recovery;

static void
recover_item_free (RecoverItem *item)
{
  bsd_endpoint_free (item->endpoint);
  g_clear_error (&item->error);
  g_free (item);
}

static void
recovery_free (Recovery *recovery)
{
  g_ptr_array_unref (recovery->items);
  g_free (recovery);
}

/* a worker: one session through the gate, like any job's */
static void
recover_work_run (Work *work)
{
  BsdEngine *self = work->engine;
  RecoverItem *item = work->item;
  GCancellable *cancellable = g_task_get_cancellable (work->recovery);
  guint id = item->endpoint->device_id;
  /* a terminal that does not answer re-enables itself after its timeout;
   * retrying here would keep a session slot from the jobs */
  BsdRetryPolicy once = { 1, 0 };
  g_autoptr (ZkClient) client = NULL;

  if (!bsd_session_gate_acquire (self->gate, id, cancellable, &item->error))
    return;
  if (!hold_still_recorded (work))
    item->gone = TRUE;
  else
    {
      client = bsd_device_io_open (item->endpoint, &once, FALSE, cancellable, &item->error);
      if (client)
        {
          /* the crash's record: released like a session's own */
          work->hold.recorded = TRUE;
          item->enabled = bsd_device_io_release (client, item->endpoint, &work->hold, &item->error);
        }
      bsd_device_io_close (client, cancellable);
    }
  bsd_session_gate_release (self->gate, id);
}

static void
recover_work_done (Work *work)
{
  Recovery *recovery = g_task_get_task_data (work->recovery);
  RecoverItem *item = work->item;

  if (item->enabled)
    {
      g_message ("%s: re-enabled after an interrupted job", item->endpoint->name);
      recovery->enabled++;
    }
  else if (item->gone)
    g_debug ("%s: enabled by a job meanwhile", item->endpoint->name);
  else
    g_warning ("%s: could not re-enable it yet: %s (it re-enables itself after its timeout)",
               item->endpoint->name, item->error ? item->error->message : "unknown error");
  g_assert (recovery->pending > 0);
  if (--recovery->pending == 0)
    g_task_return_int (work->recovery, recovery->enabled);
}

/* what a recorded device needs for its session; NULL when it is gone */
static RecoverItem *
recover_item_new (BsdEngine *self, guint device_id)
{
  g_autoptr (BsdDevice) device = bsd_store_get_device (self->store, device_id, NULL);
  RecoverItem *item;
  guint32 key = 0;

  if (device == NULL)
    return NULL;
  bsd_store_get_comm_key (self->store, device->id, &key, NULL);
  item = g_new0 (RecoverItem, 1);
  item->endpoint = device_endpoint (device, key);
  return item;
}

void
bsd_engine_recover_async (BsdEngine *self,
                          GCancellable *cancellable,
                          GAsyncReadyCallback callback,
                          gpointer user_data)
{
  g_autoptr (GTask) task = g_task_new (self, cancellable, callback, user_data);
  g_autoptr (GArray) rows = NULL;
  g_autoptr (GError) error = NULL;
  Recovery *recovery = g_new0 (Recovery, 1);
  guint i;

  g_return_if_fail (BSD_IS_ENGINE (self));
  g_task_set_source_tag (task, bsd_engine_recover_async);
  recovery->items = g_ptr_array_new_with_free_func ((GDestroyNotify)recover_item_free);
  g_task_set_task_data (task, recovery, (GDestroyNotify)recovery_free);
  rows = bsd_store_list_disabled_devices (self->store, &error);
  if (rows == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  for (i = 0; i < rows->len; i++)
    {
      guint id = g_array_index (rows, BsdDisabledDevice, i).device_id;
      RecoverItem *item = recover_item_new (self, id);

      if (item == NULL)
        bsd_store_remove_disabled_device (self->store, id, NULL);
      else
        g_ptr_array_add (recovery->items, item);
    }
  recovery->pending = recovery->items->len;
  if (recovery->pending == 0)
    {
      g_task_return_int (task, 0);
      return;
    }
  for (i = 0; i < recovery->items->len; i++)
    {
      Work *work = work_new (self);

      work->recovery = g_object_ref (task);
      work->item = recovery->items->pdata[i];
      g_thread_pool_push (self->pool, work, NULL);
    }
}

guint
bsd_engine_recover_finish (BsdEngine *self, GAsyncResult *result, GError **error)
{
  gssize enabled;

  g_return_val_if_fail (g_task_is_valid (result, self), 0);
  enabled = g_task_propagate_int (G_TASK (result), error);
  return enabled > 0 ? (guint)enabled : 0;
}

guint
bsd_engine_recover_disabled_devices (BsdEngine *self, GCancellable *cancellable)
{
  g_autoptr (GAsyncResult) result = NULL;

  g_return_val_if_fail (BSD_IS_ENGINE (self), 0);
  bsd_engine_recover_async (self, cancellable, keep_result_cb, &result);
  return bsd_engine_recover_finish (self, wait_result (self, &result), NULL);
}

/* ------------------------------------------------------------ object */

static void
bsd_engine_finalize (GObject *object)
{
  BsdEngine *self = BSD_ENGINE (object);

  /* waits for running workers: their results are delivered nowhere */
  g_thread_pool_free (self->pool, FALSE, TRUE);
  g_clear_object (&self->store);
  g_clear_object (&self->gate);
  g_hash_table_unref (self->last_full_read);
  g_clear_object (&self->writer);
  g_mutex_clear (&self->writer_lock);
  g_main_context_unref (self->context);
  G_OBJECT_CLASS (bsd_engine_parent_class)->finalize (object);
}

static void
bsd_engine_class_init (BsdEngineClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = bsd_engine_finalize;
}

static void
bsd_engine_init (BsdEngine *self)
{
  self->retry.attempts = 3;
  self->retry.backoff_ms = 500;
  self->disable_timeout_s = 300;
  self->full_read_interval_s = 24 * 3600;
  self->last_full_read = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, g_free);
  g_mutex_init (&self->writer_lock);
}

BsdEngine *
bsd_engine_new (BsdStore *store, BsdSessionGate *gate)
{
  BsdEngine *self = g_object_new (BSD_TYPE_ENGINE, NULL);

  self->store = g_object_ref (store);
  self->gate = g_object_ref (gate);
  self->context = g_main_context_ref_thread_default ();
  self->pool = g_thread_pool_new (pool_func, self, MAX_WORKERS, FALSE, NULL);
  return self;
}

BsdStore *
bsd_engine_get_store (BsdEngine *self)
{
  return self->store;
}

BsdSessionGate *
bsd_engine_get_gate (BsdEngine *self)
{
  return self->gate;
}

void
bsd_engine_set_retry_policy (BsdEngine *self, const BsdRetryPolicy *policy)
{
  self->retry = *policy;
}

void
bsd_engine_set_disable_timeout (BsdEngine *self, guint seconds)
{
  self->disable_timeout_s = MAX (seconds, 1);
}

void
bsd_engine_set_full_read_interval (BsdEngine *self, guint seconds)
{
  self->full_read_interval_s = seconds;
}
