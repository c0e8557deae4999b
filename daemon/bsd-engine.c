/* bsd-engine.c — runs sync operations against terminals
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The engine object, and the start of a run: from an operation to the
 * groups and devices it works on (bsd-engine-private.h says what the
 * other files do with them).
 */
#include "config.h"

#include "bsd-engine-private.h"

#include <string.h>

#include "bsd-time-zone.h"

#define MAX_WORKERS 16

G_DEFINE_FINAL_TYPE (BsdEngine, bsd_engine, G_TYPE_OBJECT)

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

void
bsd_engine_set_status (DeviceCtx *dev, const char *status, const char *reason)
{
  g_free (dev->status);
  dev->status = g_strdup (status);
  g_free (dev->reason);
  dev->reason = g_strdup (reason);
}

static void
progress_within (Run *run, const char *message, double within)
{
  double fraction = run->steps_total ? ((double)run->steps_done + within) / run->steps_total : 0.0;

  /* progress never goes back, whatever the step accounting does */
  fraction = MAX (MIN (fraction, 1.0), run->last_fraction);
  run->last_fraction = fraction;
  if (run->progress)
    run->progress (run->job_id, MIN (fraction, 1.0), message, run->progress_data);
}

void
bsd_engine_progress (Run *run, const char *message)
{
  progress_within (run, message, 0);
}

void
bsd_engine_items_progress (DeviceCtx *dev, const char *message, double within)
{
  Run *run = dev->run;
  gint64 now = g_get_monotonic_time ();

  /* several devices at once report no more often than one */
  if (now - run->items_at < G_USEC_PER_SEC / 4)
    return;
  run->items_at = now;
  progress_within (run, message, CLAMP (within, 0, 1));
}

void
bsd_engine_part_done (Run *run)
{
  g_assert (run->pending > 0);
  if (--run->pending == 0)
    bsd_engine_finish_run (run);
}

/* a zone is loaded by name only: one stored before zones were checked
 * by name (a path) is not loaded at all */
BsdEndpoint *
bsd_engine_endpoint (const BsdDevice *device, guint32 comm_key)
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
  dev->endpoint = bsd_engine_endpoint (device, key);
  dev->serial = g_strdup (device->health.serial);
  dev->read_fingers = TRUE;
  dev->push = bsd_engine_is_push (device);
  dev->firmware = g_strdup (device->health.firmware);
  /* unknown (the database failed) counts as lied: verify in full */
  if (group && !bsd_store_get_device_lied (self->store, device->id, &dev->lied_before, NULL))
    dev->lied_before = TRUE;
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
          /* a push terminal's mirror is its cache; the worker loads a
           * pull terminal's with its own connection, off the main
           * thread (an in-memory database has only this one) */
          if (!dev->push && bsd_engine_store_is_file (self->store))
            dev->cache_pending = TRUE;
          else if (!dev->push)
            bsd_engine_load_template_cache (self->store, dev);
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

/* a push terminal syncs through its queue (bsd-engine-push.c); its
 * punches and clock need no job: a job for one of them alone says so */
static gboolean
refuse_push (const BsdDevice *device, const char *what, GError **error)
{
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, "%s is a push terminal: %s",
               device->name, what);
  return FALSE;
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

/* DeleteUser and UpdateUser reach push terminals through their queue;
 * logs and clocks are theirs to send and set */
static gboolean
people_job (const Run *run)
{
  return run->op->kind == BSD_OP_DELETE_USER || run->op->kind == BSD_OP_UPDATE_USER;
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
      if (bsd_engine_is_push (device) && !people_job (run))
        {
          refuse_push (device,
                       run->op->kind == BSD_OP_SET_TIME
                           ? "it sets its clock from the receiver's replies"
                           : "it sends its punches by itself",
                       error);
          bsd_device_free (device);
          return FALSE;
        }
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

      if (bsd_engine_is_push (device) && !people_job (run))
        continue;
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
    /* its central edits are in the roster already: every sync writes them */
    case BSD_OP_IMPORT_USERS:
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
  bsd_engine_progress (run, "starting");
  if (run->pending == 0)
    {
      bsd_engine_finish_run (run);
      return;
    }

  for (i = 0; i < run->groups->len; i++)
    {
      Group *group = run->groups->pdata[i];

      group->pending = group->devices->len;
      if (group->pending == 0)
        {
          bsd_engine_group_plan (group);
          continue;
        }
      for (j = 0; j < group->devices->len; j++)
        bsd_engine_dispatch (group->devices->pdata[j], PHASE_READ);
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
      bsd_engine_dispatch (dev, phase);
    }
}

static void
run_start (Run *run)
{
  GTask *hold = g_object_ref (run->task);

  run_start_parts (run);
  g_object_unref (hold);
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
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  run = g_new0 (Run, 1);
  run->engine = self;
  run->task = task;
  run->op = bsd_operation_copy (op);
  run->job_id = op->job_id;
  run->cancellable = cancellable ? g_object_ref (cancellable) : g_cancellable_new ();
  run->progress = progress;
  run->progress_data = progress_data;
  run->groups = g_ptr_array_new_with_free_func ((GDestroyNotify)group_free);
  run->devices = g_ptr_array_new_with_free_func ((GDestroyNotify)device_ctx_free);
  run->started = g_get_monotonic_time ();
  /* the run lives as long as the task */
  g_task_set_task_data (task, run, (GDestroyNotify)run_free);

  bsd_store_get_setting_uint (self->store, "ClockThreshold", &uint_value, NULL);
  run->clock_threshold = uint_value;
  bsd_store_get_setting_bool (self->store, "ClearLogsAfterDownload", &bool_value, NULL);
  run->clear_logs = bool_value;
  run->read_only = op->kind == BSD_OP_PREVIEW;

  if (!build_run (run, &error) || !prepare_user_ops (run, &error))
    {
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
  Run *run = g_task_get_task_data (G_TASK (result));

  return run ? run->job_id : 0;
}

/* for the _sync wrappers: the result, once there */
void
bsd_engine_keep_result_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  *(GAsyncResult **)user_data = g_object_ref (result);
  g_main_context_wakeup (NULL);
}

/* iterates the engine's context until bsd_engine_keep_result_cb stored the result */
GAsyncResult *
bsd_engine_wait_result (BsdEngine *self, GAsyncResult **result)
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
  bsd_engine_run_async (self, op, cancellable, NULL, NULL, bsd_engine_keep_result_cb, &result);
  return bsd_engine_run_finish (self, bsd_engine_wait_result (self, &result), error);
}

static void
bsd_engine_finalize (GObject *object)
{
  BsdEngine *self = BSD_ENGINE (object);

  /* waits for running workers: their results are delivered nowhere */
  g_thread_pool_free (self->pool, FALSE, TRUE);
  bsd_engine_push_finalize (self);
  g_clear_object (&self->store);
  g_clear_object (&self->gate);
  g_hash_table_unref (self->last_full_read);
  g_clear_object (&self->writer);
  g_mutex_clear (&self->writer_lock);
  g_main_context_unref (self->context);
  G_OBJECT_CLASS (bsd_engine_parent_class)->finalize (object);
}

enum
{
  DEVICE_CHANGED,
  AREA_CHANGED,
  DEVICE_BUSY,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

void
bsd_engine_device_changed (BsdEngine *self, guint device_id)
{
  g_signal_emit (self, signals[DEVICE_CHANGED], 0, device_id);
}

void
bsd_engine_area_changed (BsdEngine *self, guint area_id)
{
  g_signal_emit (self, signals[AREA_CHANGED], 0, area_id);
}

void
bsd_engine_device_busy (BsdEngine *self, guint device_id)
{
  g_signal_emit (self, signals[DEVICE_BUSY], 0, device_id);
}

static void
bsd_engine_class_init (BsdEngineClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = bsd_engine_finalize;
  signals[DEVICE_CHANGED]
      = g_signal_new ("device-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                      NULL, G_TYPE_NONE, 1, G_TYPE_UINT);
  signals[AREA_CHANGED]
      = g_signal_new ("area-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                      NULL, G_TYPE_NONE, 1, G_TYPE_UINT);
  /* (guint device_id): a job's session with the device opened; its
   * "device-changed" follows when the session's phase is done */
  signals[DEVICE_BUSY] = g_signal_new ("device-busy", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                       0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_UINT);
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
  self->pool = g_thread_pool_new (bsd_engine_pool_func, self, MAX_WORKERS, FALSE, NULL);
  bsd_engine_push_init (self);
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
