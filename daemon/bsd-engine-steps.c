/* bsd-engine-steps.c — the main thread moves a run on: groups, hand-offs
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "bsd-engine-private.h"

#include <string.h>

#include "bsd-error.h"

static void group_apply (Group *group);
static void group_finish (Group *group);

static const char *
status_for_error (const GError *error)
{
  if (bsd_error_is_cancelled (error))
    return "cancelled";
  if (bsd_error_is_unreachable (error))
    return "unreachable";
  /* a push terminal that did not poll in time: its commands wait for it */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_PENDING))
    return "pending";
  return "failed";
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

  if (!bsd_engine_load_roster (group, &group->error))
    return;
  input = group_input (group, FALSE);
  group->plan = bsd_plan_compute (input, &group->error);
  if (group->plan && group->run->balance)
    group->gaps_before = bsd_plan_gaps_full (input, BSD_ENGINE_REPORT_MAX_ITEMS, NULL);
  if (group->plan)
    keep_deletions (group);
  /* the report step reads the roster again, as it is then */
  g_clear_pointer (&group->people, g_ptr_array_unref);
  g_clear_pointer (&group->tombstones, g_ptr_array_unref);
}

/* every device of the group is read: plan in a worker */
void
bsd_engine_group_plan (Group *group)
{
  Run *run = group->run;
  g_autofree char *message = g_strdup_printf ("planning %s", group->area_name);

  if (g_cancellable_is_cancelled (run->cancellable))
    {
      group_finish (group);
      return;
    }
  bsd_engine_progress (run, message);
  bsd_engine_prefetch_roster (group);
  bsd_engine_dispatch_group (group, PHASE_PLAN);
}

/* back on the main thread with the plan */
void
bsd_engine_group_planned (Group *group)
{
  Run *run = group->run;
  guint i;

  if (group->plan == NULL)
    {
      for (i = 0; i < group->devices->len; i++)
        {
          DeviceCtx *dev = group->devices->pdata[i];

          if (dev->status == NULL)
            bsd_engine_set_status (dev, "failed", group->error->message);
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
            bsd_engine_set_status (dev, "ok", "previewed, nothing written");
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
                    + plan->templates_add->len + plan->faces_add->len + plan->photos_add->len
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
        bsd_engine_add_removal (dev, t, TRUE, FALSE, "would be removed", NULL);
      else if (!dev->applied)
        bsd_engine_add_removal (dev, t, TRUE, FALSE, "not removed",
                                dev->reason ? dev->reason : "not written");
      else if (g_ptr_array_find_with_equal_func (dev->apply.deleted_pins, u->pin, g_str_equal,
                                                 NULL))
        bsd_engine_add_removal (dev, t, TRUE, TRUE, "removed", NULL);
      else if ((reason = delete_failure (&dev->apply, u->pin)) != NULL)
        bsd_engine_add_removal (dev, t, TRUE, FALSE, "removal failed", reason);
      else if (dev->apply.cancelled)
        bsd_engine_add_removal (dev, t, TRUE, FALSE, "not removed", "cancelled");
      else
        bsd_engine_add_removal (dev, t, TRUE, FALSE, "removal not verified",
                                dev->error ? dev->error->message
                                           : "the device could not be read back");
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
            bsd_engine_set_status (dev, "failed", dev->plan->failure);
          else
            bsd_engine_set_status (dev, "ok", NULL);
          continue;
        }
      group->pending++;
      run->steps_done--;
      bsd_engine_dispatch (dev, PHASE_APPLY);
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

  if (group->run->balance && group->plan && bsd_engine_load_roster (group, NULL))
    {
      g_autoptr (BsdPlanInput) after = group_input (group, TRUE);

      group->gaps_after = bsd_plan_gaps_full (after, BSD_ENGINE_REPORT_MAX_ITEMS, NULL);
    }
  if (group->plan)
    {
      group->primary_device_id = group->plan->primary_device_id;
      group->plan_json = bsd_plan_to_json_full (group->plan, BSD_ENGINE_REPORT_MAX_ITEMS);
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

void
bsd_engine_group_work (Group *group, Phase phase)
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
        bsd_engine_set_status (
            dev, g_cancellable_is_cancelled (run->cancellable) ? "cancelled" : "ok", NULL);
      /* nothing to write is a good sync too */
      if (!group->preview && !dev->applied && dev->snapshot && g_strcmp0 (dev->status, "ok") == 0)
        {
          g_autoptr (BsdDevice) device
              = bsd_store_get_device (store, dev->endpoint->device_id, NULL);

          if (device)
            {
              device->health.last_sync = g_get_real_time ();
              bsd_store_update_device_health (store, device->id, &device->health, NULL);
              bsd_engine_device_changed (run->engine, device->id);
            }
        }
    }
  if (group->area_id && group->plan && !group->preview)
    {
      if (group->plan->primary_device_id)
        bsd_store_set_area_primary (store, group->area_id, group->plan->primary_device_id, NULL);
      bsd_store_set_area_last_sync (store, group->area_id, g_get_real_time (), NULL);
      bsd_engine_area_changed (run->engine, group->area_id);
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
    bsd_engine_prefetch_roster (group);
  bsd_engine_dispatch_group (group, PHASE_REPORT);
}

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
      && !bsd_store_add_attendance_fresh (
          store, dev->endpoint->device_id, dev->serial, tz, logs->records, logs->log_count,
          bsd_log_read_get_newest (logs), &dev->logs_inserted, &dev->logs_duplicates, NULL, &error))
    {
      bsd_engine_set_status (dev, "failed", error->message);
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
      bsd_engine_dispatch (dev, PHASE_CLEAR_LOGS);
    }
}

/* a push terminal that did not answer may run its queued commands later:
 * its mirror is not taken as current until it is queried again */
static void
forget_full_read (DeviceCtx *dev)
{
  if (dev->push && dev->error)
    g_hash_table_remove (dev->run->engine->last_full_read,
                         GUINT_TO_POINTER (dev->endpoint->device_id));
}

static void
read_done (DeviceCtx *dev)
{
  Run *run = dev->run;
  Group *group = dev->group;
  g_autoptr (GError) error = NULL;

  if (bsd_engine_wants_health (dev, PHASE_READ) && !dev->health_stored)
    bsd_engine_store_health (run->engine->store, dev);
  forget_full_read (dev);
  if (dev->error)
    {
      bsd_engine_set_status (dev, status_for_error (dev->error), dev->error->message);
      g_clear_pointer (&dev->snapshot, bsd_snapshot_free);
    }
  else
    {
      /* a push terminal's read is full only when it was queried */
      if (dev->read_fingers && (!dev->push || dev->push_queried))
        {
          gint64 *now = g_new (gint64, 1);

          *now = g_get_monotonic_time ();
          g_hash_table_insert (run->engine->last_full_read,
                               GUINT_TO_POINTER (dev->endpoint->device_id), now);
        }
      bsd_engine_prepare_read (dev);
      if (!dev->stored)
        bsd_engine_store_snapshot (run->engine->store, dev, dev->snapshot, &dev->store_error);
      if (dev->store_error)
        {
          error = g_error_copy (dev->store_error);
          bsd_engine_set_status (dev, "failed", error->message);
        }
      if (error)
        g_clear_pointer (&dev->snapshot, bsd_snapshot_free);
      if (dev->read_logs)
        store_attendance (run, dev);
    }
  g_assert (group->pending > 0);
  if (--group->pending == 0)
    bsd_engine_group_plan (group);
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
      bsd_engine_prepare_after (dev);
      if (!dev->stored)
        bsd_engine_store_snapshot (store, dev, dev->apply.after, &dev->store_error);
      if (dev->store_error)
        g_warning ("recording the read-back of %s: %s", dev->endpoint->name,
                   dev->store_error->message);
    }
  forget_full_read (dev);
  /* the workers' connection recorded it, unless there is none */
  bsd_engine_store_lies (store, dev);
  collect_removals (dev->group, dev);
  if (dev->apply.after)
    store_counts_after (run, dev, dev->apply.after);
  /* stored; only Balance's after-gaps look at it again */
  if (!run->balance)
    g_clear_pointer (&dev->apply.after, bsd_snapshot_free);
  if (dev->error)
    bsd_engine_set_status (dev, status_for_error (dev->error), dev->error->message);
  else if (dev->apply.cancelled)
    bsd_engine_set_status (dev, "cancelled", "stopped at a safe point");
  else if (dev->plan->failed)
    bsd_engine_set_status (dev, "failed",
                           dev->plan->failure); /* its deletions are in the removals */
  else if (dev->apply.failures->len > 0)
    {
      g_autofree char *reason
          = g_strdup_printf ("%u planned changes did not hold", dev->apply.failures->len);

      bsd_engine_set_status (dev, "partial", reason);
    }
  else
    bsd_engine_set_status (dev, "ok", NULL);
  if (--dev->group->pending == 0)
    group_finish (dev->group);
}

static void
flat_done (DeviceCtx *dev, Phase phase)
{
  Run *run = dev->run;
  BsdStore *store = run->engine->store;

  forget_full_read (dev);
  switch (phase)
    {
    case PHASE_LOGS:
      if (!dev->health_stored)
        bsd_engine_store_health (store, dev);
      if (dev->error)
        bsd_engine_set_status (dev, status_for_error (dev->error), dev->error->message);
      else
        {
          g_autofree char *replaced = NULL;
          const char *reason = dev->logs.unchanged ? "no new records" : NULL;

          if (dev->serial_was)
            reason = replaced
                = g_strdup_printf ("another terminal: serial %s, before %s; its whole log was read",
                                   dev->serial, dev->serial_was);
          bsd_engine_set_status (dev, "ok", reason);
          store_attendance (run, dev);
        }
      break;
    case PHASE_CLEAR_LOGS:
      if (dev->error)
        bsd_engine_set_status (dev, "partial", dev->error->message);
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
        bsd_engine_set_status (dev, "ok", dev->was_present ? "deleted" : "not on the device");
      else
        bsd_engine_set_status (dev, status_for_error (dev->error),
                               dev->error ? dev->error->message : "not deleted");
      if (dev->was_present && run->tombstone)
        bsd_engine_add_removal (dev, run->tombstone, FALSE, dev->done_ok,
                                dev->done_ok ? "removed" : "removal failed",
                                dev->done_ok ? NULL : dev->reason);
      break;
    case PHASE_UPDATE_PIN:
      if (dev->done_ok)
        bsd_engine_set_status (dev, "ok", dev->was_present ? "updated" : "not on the device");
      else
        bsd_engine_set_status (dev, status_for_error (dev->error),
                               dev->error ? dev->error->message : "not updated");
      break;
    case PHASE_SET_TIME:
      if (!dev->health_stored)
        bsd_engine_store_health (store, dev);
      if (dev->done_ok)
        bsd_engine_set_status (dev, "ok", "clock set");
      else
        bsd_engine_set_status (dev, status_for_error (dev->error),
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
  bsd_engine_progress (run, dev->endpoint->name);
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
      bsd_engine_part_done (run);
      return;
    }
}

/* finishing a run may drop the last reference to its task, which frees
 * the run: callers that go on using it hold the task meanwhile */
void
bsd_engine_work_done (Work *work)
{
  Run *run = work->group ? work->group->run : work->dev->run;
  GTask *task = g_object_ref (run->task);

  /* the record stays: the next start re-enables it, if its own timeout has not */
  if (work->dev && bsd_hold_left_disabled (&work->hold))
    g_warning ("%s stayed disabled; it re-enables itself after %u s", work->dev->endpoint->name,
               work->hold.timeout_s);
  if (work->phase == PHASE_PLAN)
    bsd_engine_group_planned (work->group);
  else if (work->phase == PHASE_REPORT)
    bsd_engine_part_done (run);
  else
    {
      /* the worker's step and the main thread's after it may both have
       * written the device's health or counts */
      work_done_phase (work->dev, work->phase);
      bsd_engine_device_changed (run->engine, work->dev->endpoint->device_id);
    }
  g_object_unref (task);
}
