/* bsd-engine-worker.c — what a worker thread does with a device of a run
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "bsd-engine-private.h"

#include <string.h>

static const char *const phase_names[] = {
  "read", "apply", "logs", "clear-logs", "delete-pin", "update-pin", "set-time", "plan", "report",
};
G_STATIC_ASSERT (G_N_ELEMENTS (phase_names) == PHASE_REPORT + 1);

static void work_run (Work *work);

/* ------------------------------------------------ notes to the main thread */

/* a worker reports how far it is at most this often per device (the main
 * thread keeps a job's reports as rare) */
#define ITEMS_INTERVAL_US (G_USEC_PER_SEC / 4)

/* what a worker tells the main thread while it works: its session opened
 * (@message NULL), or how far it is within its phase */
typedef struct
{
  DeviceCtx *dev;
  char *message;
  double within;
} Note;

static void
note_free (Note *note)
{
  g_free (note->message);
  g_free (note);
}

static gboolean
note_cb (gpointer data)
{
  Note *note = data;

  if (note->message == NULL)
    bsd_engine_device_busy (note->dev->run->engine, note->dev->endpoint->device_id);
  else
    bsd_engine_items_progress (note->dev, note->message, note->within);
  return G_SOURCE_REMOVE;
}

/* at the priority of work_done_cb, so that every note of a phase comes
 * before the phase's end (idle sources of one priority run in order) */
static void
post_note (DeviceCtx *dev, char *message, double within)
{
  Note *note = g_new0 (Note, 1);

  note->dev = dev;
  note->message = message;
  note->within = within;
  g_main_context_invoke_full (dev->run->engine->context, G_PRIORITY_DEFAULT + 10, note_cb, note,
                              (GDestroyNotify)note_free);
}

/* how far an apply is when @done items of @what are through: its writes
 * go deletions → users → fingerprints → faces */
static double
apply_fraction (const BsdDevicePlan *plan, const char *what, guint done)
{
  const guint counts[] = {
    plan->users_delete->len,
    plan->users_add->len + plan->users_update->len,
    plan->templates_add->len,
    plan->faces_add->len,
  };
  const char *const kinds[] = { "deletions", "users", "fingerprints", "faces" };
  guint before = 0;
  guint all = 0;
  gboolean seen = FALSE;

  for (guint i = 0; i < G_N_ELEMENTS (counts); i++)
    {
      seen = seen || strcmp (kinds[i], what) == 0;
      before += seen ? 0 : counts[i];
      all += counts[i];
    }
  return all > 0 ? (double)(before + done) / all : 0;
}

/* BsdItems: @done of @total items through; a phase shorter than the
 * interval reports nothing */
static void
items_cb (const char *what, guint done, guint total, gpointer data)
{
  DeviceCtx *dev = data;
  gint64 now = g_get_monotonic_time ();
  double within
      = dev->plan != NULL ? apply_fraction (dev->plan, what, done) : (double)done / MAX (total, 1);

  if (total == 0 || now - dev->items_at < ITEMS_INTERVAL_US)
    return;
  dev->items_at = now;
  post_note (dev, g_strdup_printf ("%s: %u of %u %s", dev->endpoint->name, done, total, what),
             within);
}

static void
work_free (Work *work)
{
  g_clear_object (&work->recovery);
  g_free (work);
}

static gboolean
work_done_cb (gpointer data)
{
  Work *work = data;
  gint64 start = g_get_monotonic_time ();
  Phase phase = work->phase;
  gint64 took;

  if (work->recovery)
    {
      bsd_engine_recover_done (work);
      return G_SOURCE_REMOVE;
    }
  bsd_engine_work_done (work);
  /* the main thread's share of a job (store, plan, report) delays every
   * D-Bus call behind it: say when one step is long */
  took = g_get_monotonic_time () - start;
  if (took > 20 * 1000)
    g_debug ("engine: the main thread's part after a %s step took %" G_GINT64_FORMAT " ms",
             phase_names[phase], took / 1000);
  return G_SOURCE_REMOVE;
}

void
bsd_engine_pool_func (gpointer data, gpointer user_data)
{
  Work *work = data;
  BsdEngine *self = user_data;

  if (work->recovery)
    bsd_engine_recover_work (work);
  else
    work_run (work);
  /* below G_PRIORITY_DEFAULT, where GDBus dispatches method calls: a
   * client's call that is already waiting goes before the next step of a
   * job (storing a device's tables, planning an area, the report) */
  g_main_context_invoke_full (self->context, G_PRIORITY_DEFAULT + 10, work_done_cb, work,
                              (GDestroyNotify)work_free);
}

Work *
bsd_engine_work_new (BsdEngine *self)
{
  Work *work = g_new0 (Work, 1);

  work->engine = self;
  work->hold.record = bsd_engine_hold_record;
  work->hold.forget = bsd_engine_hold_forget;
  work->hold.data = work;
  work->hold.timeout_s = self->disable_timeout_s;
  return work;
}

static void
push_work (BsdEngine *self, DeviceCtx *dev, Group *group, Phase phase)
{
  Work *work = bsd_engine_work_new (self);

  work->dev = dev;
  work->group = group;
  work->phase = phase;
  /* a push terminal's worker waits for its poll: never in the pull pool */
  g_thread_pool_push (dev && dev->push ? self->push_pool : self->pool, work, NULL);
}

void
bsd_engine_dispatch (DeviceCtx *dev, Phase phase)
{
  push_work (dev->run->engine, dev, NULL, phase);
}

void
bsd_engine_dispatch_group (Group *group, Phase phase)
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

gboolean
bsd_engine_clock_needs_setting (Run *run, const BsdContact *contact)
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
  if (bsd_engine_clock_needs_setting (run, &dev->contact) && !run->read_only)
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
  if (dev->logs.complete)
    bsd_device_io_clear_logs (client, dev->endpoint, dev->serial, dev->logs.log_count, hold,
                              &dev->logs_cleared, cancellable, &dev->error);
}

/* delete and update: the users read last stand for the device's user table */
static void
worker_pin (DeviceCtx *dev, ZkClient *client, BsdHold *hold, GCancellable *cancellable)
{
  Run *run = dev->run;
  BsdPinChange change = { 0 };

  if (run->op->kind == BSD_OP_DELETE_USER)
    dev->done_ok = bsd_device_io_delete_pin (client, dev->endpoint, run->op->pin, hold, &change,
                                             cancellable, &dev->error);
  else
    dev->done_ok = bsd_device_io_update_pin (client, dev->endpoint, run->update_record, &change,
                                             cancellable, &dev->error);
  dev->was_present = change.was_present;
  if (run->op->kind == BSD_OP_DELETE_USER && change.users)
    {
      dev->snapshot = bsd_snapshot_new (dev->endpoint->device_id, dev->endpoint->name);
      g_ptr_array_extend_and_steal (dev->snapshot->users, g_steal_pointer (&change.users));
    }
  bsd_pin_change_clear (&change);
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

/* a terminal an earlier session left disabled (its ENABLE_DEVICE was lost:
 * over UDP nothing re-enables it) is enabled again by the next session
 * that may change it, whatever that session is for */
static void
reenable_if_left_disabled (Work *work, ZkClient *client)
{
  if (session_read_only (work) || !bsd_engine_hold_still_recorded (work))
    return;
  work->hold.recorded = TRUE;
  bsd_device_io_release (client, work->dev->endpoint, &work->hold, NULL);
}

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
      bsd_engine_group_work (work->group, work->phase);
      return;
    }
  if (dev->push)
    {
      bsd_engine_push_work (work);
      return;
    }
  run = dev->run;
  self = run->engine;
  cancellable = run->cancellable;

  if (dev->cache_pending)
    {
      BsdStore *writer = bsd_engine_writer_acquire (self);

      dev->cache_pending = FALSE;
      if (writer)
        bsd_engine_load_template_cache (writer, dev);
      else
        dev->cache_allowed = FALSE; /* read everything, as without a cache */
      bsd_engine_writer_release (self);
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
      BsdTraffic mark;

      post_note (dev, NULL, 0);
      reenable_if_left_disabled (work, client);
      dev->items_at = g_get_monotonic_time ();
      switch (work->phase)
        {
        case PHASE_READ:
          bsd_traffic_mark (client, &mark);
          worker_read (dev, client, cancellable);
          bsd_traffic_since (client, &mark, &dev->read);
          break;
        case PHASE_APPLY:
          {
            BsdApplyRequest request = {
              .contact = &dev->contact,
              .plan = dev->plan,
              .basis = { dev->snapshot, dev->lied_before },
              .items = { items_cb, dev },
              .hold = hold,
            };

            bsd_apply_result_init (&dev->apply);
            dev->applied = TRUE;
            bsd_device_io_apply (client, dev->endpoint, &request, &dev->apply, cancellable,
                                 &dev->error);
          }
          break;
        case PHASE_LOGS:
          worker_logs (dev, client, cancellable);
          break;
        case PHASE_CLEAR_LOGS:
          worker_clear_logs (dev, client, hold, cancellable);
          break;
        case PHASE_DELETE_PIN:
        case PHASE_UPDATE_PIN:
          worker_pin (dev, client, hold, cancellable);
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
  bsd_engine_store_results (dev, work->phase);
}
