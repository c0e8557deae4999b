/* bs-client-wait.c — BsClient: waiting until a job has finished
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "bs-client.h"

typedef struct
{
  BsClient *client; /* owned */
  char *path;
  gulong finished_id;
  gulong running_id;
  GSource *cancel_source;
  gboolean done;
} WaitData;

/* no more outcomes: not the client's signals, not the cancellable */
static void
wait_data_stop (WaitData *data)
{
  g_clear_signal_handler (&data->finished_id, data->client);
  g_clear_signal_handler (&data->running_id, data->client);
  if (data->cancel_source != NULL)
    {
      g_source_destroy (data->cancel_source);
      g_clear_pointer (&data->cancel_source, g_source_unref);
    }
}

static void
wait_data_free (WaitData *data)
{
  wait_data_stop (data);
  g_clear_object (&data->client);
  g_free (data->path);
  g_free (data);
}

/* the first outcome wins; returns the task's last reference */
static void
wait_done (GTask *task, const char *state, const char *summary, GError *error)
{
  WaitData *data = g_task_get_task_data (task);

  if (data->done)
    {
      g_clear_error (&error);
      return;
    }
  data->done = TRUE;
  wait_data_stop (data);
  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, bs_job_outcome_new (NULL, data->path, NULL, state, summary),
                           (GDestroyNotify)bs_job_outcome_free);
  /* the reference the signal handlers stood for */
  g_object_unref (task);
}

static void
wait_job_finished_cb (BsClient *self, BsJobOutcome *outcome, GTask *task)
{
  WaitData *data = g_task_get_task_data (task);

  if (g_strcmp0 (outcome->path, data->path) == 0)
    wait_done (task, outcome->state, outcome->summary, NULL);
}

static void
wait_running_cb (BsClient *self, GParamSpec *pspec, GTask *task)
{
  if (!bs_client_get_service_running (self))
    wait_done (task, NULL, NULL,
               g_error_new_literal (G_DBUS_ERROR, G_DBUS_ERROR_NAME_HAS_NO_OWNER,
                                    "biosyncd stopped before the job finished"));
}

static gboolean
wait_cancelled_cb (GCancellable *cancellable, gpointer user_data)
{
  GTask *task = user_data;
  g_autoptr (GError) error = NULL;

  g_cancellable_set_error_if_cancelled (cancellable, &error);
  wait_done (task, NULL, NULL, g_steal_pointer (&error));
  return G_SOURCE_REMOVE;
}

static void
wait_get_job_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  WaitData *data = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) job = NULL;
  const char *state = NULL;
  const char *summary = NULL;

  if (data->done)
    return;
  if (!bs_dbus_manager_call_get_job_finish (BS_DBUS_MANAGER (source), &job, result, &error))
    {
      wait_done (task, NULL, NULL, g_steal_pointer (&error));
      return;
    }
  g_variant_lookup (job, "State", "&s", &state);
  g_variant_lookup (job, "Summary", "&s", &summary);
  if (bs_client_job_state_is_final (state))
    wait_done (task, state, summary ? summary : "", NULL);
  /* else JobFinished will come */
}

void
bs_client_wait_job_async (BsClient *self,
                          const char *job_path,
                          GCancellable *cancellable,
                          GAsyncReadyCallback callback,
                          gpointer user_data)
{
  g_autoptr (GTask) task = NULL;
  WaitData *data;
  BsDBusJob *job;
  guint64 id;

  g_return_if_fail (BS_IS_CLIENT (self));
  g_return_if_fail (job_path != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, bs_client_wait_job_async);
  data = g_new0 (WaitData, 1);
  data->client = g_object_ref (self);
  data->path = g_strdup (job_path);
  g_task_set_task_data (task, data, (GDestroyNotify)wait_data_free);

  id = bs_client_job_id_from_path (job_path);
  if (id == 0)
    {
      g_task_return_new_error (task, BS_ERROR, BS_ERROR_INVALID_ARGS, "%s is not a job", job_path);
      return;
    }
  if (!bs_client_get_service_running (self) || bs_client_get_manager (self) == NULL)
    {
      g_task_return_new_error (task, G_DBUS_ERROR, G_DBUS_ERROR_NAME_HAS_NO_OWNER,
                               "biosyncd is not running");
      return;
    }
  job = bs_client_lookup_job (self, job_path);
  if (job != NULL && bs_client_job_state_is_final (bs_dbus_job_get_state (job)))
    {
      g_task_return_pointer (task,
                             bs_job_outcome_new (job, job_path, bs_dbus_job_get_kind (job),
                                                 bs_dbus_job_get_state (job),
                                                 bs_dbus_job_get_summary (job)),
                             (GDestroyNotify)bs_job_outcome_free);
      return;
    }

  /* one reference for the handlers, dropped by wait_done() */
  g_object_ref (task);
  data->finished_id
      = g_signal_connect (self, "job-finished", G_CALLBACK (wait_job_finished_cb), task);
  data->running_id
      = g_signal_connect (self, "notify::service-running", G_CALLBACK (wait_running_cb), task);
  if (cancellable != NULL)
    {
      data->cancel_source = g_cancellable_source_new (cancellable);
      g_source_set_callback (data->cancel_source, G_SOURCE_FUNC (wait_cancelled_cb), task, NULL);
      g_source_attach (data->cancel_source, g_main_context_get_thread_default ());
    }
  /* not exported (any more, or it finished and was unexported before we
   * looked): the history knows */
  if (job == NULL)
    bs_dbus_manager_call_get_job (bs_client_get_manager (self), id, G_DBUS_CALL_FLAGS_NONE, -1,
                                  cancellable, wait_get_job_cb, g_object_ref (task));
}

gboolean
bs_client_wait_job_finish (
    BsClient *self, GAsyncResult *result, char **state, char **summary, GError **error)
{
  g_autoptr (BsJobOutcome) outcome = NULL;

  g_return_val_if_fail (BS_IS_CLIENT (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  outcome = g_task_propagate_pointer (G_TASK (result), error);
  if (outcome == NULL)
    return FALSE;
  if (state != NULL)
    *state = g_steal_pointer (&outcome->state);
  if (summary != NULL)
    *summary = g_steal_pointer (&outcome->summary);
  return TRUE;
}
