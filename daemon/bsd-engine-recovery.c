/* bsd-engine-recovery.c — re-enabling the terminals a crash left disabled
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "bsd-engine-private.h"

#include <string.h>

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
void
bsd_engine_recover_work (Work *work)
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
  if (!bsd_engine_hold_still_recorded (work))
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

void
bsd_engine_recover_done (Work *work)
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
  item->endpoint = bsd_engine_endpoint (device, key);
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
      Work *work = bsd_engine_work_new (self);

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
  bsd_engine_recover_async (self, cancellable, bsd_engine_keep_result_cb, &result);
  return bsd_engine_recover_finish (self, bsd_engine_wait_result (self, &result), NULL);
}
