/* bsd-engine-push.c — push terminals in a run: read the mirror, queue commands, wait
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A push terminal is never contacted (docs/PUSH.md): the engine queues
 * commands for its next poll and waits for their results, which the
 * receiver stores. The wait holds neither the main loop nor a slot of the
 * session gate nor a pull worker: it runs in a pool of its own and sleeps
 * on its terminal's condition, which that terminal's notices
 * (bsd_engine_push_notify), a cancel and shutdown wake, with a slow look at
 * the queue as a fallback. A terminal that does not answer within
 * bsd_push_caps_wait_s() ends its result as "pending"; its commands stay
 * queued for when it returns.
 */
#include "config.h"

#include "bsd-engine-private.h"

#include "bsd-push-io.h"

/* the fallback look at the queue when no notice came */
#define PUSH_LOOK_US (G_USEC_PER_SEC / 2)
/* push workers at once: each waits on one terminal */
#define PUSH_MAX_WORKERS 64

gboolean
bsd_engine_is_push (const BsdDevice *device)
{
  return g_strcmp0 (device->protocol, "push") == 0;
}

/* the waits on one terminal: woken by its own notices (and cancel,
 * shutdown), not by every poll of every terminal */
typedef struct
{
  GCond cond;
  guint64 notices; /* one more at each notice of its terminal */
  guint waiting;   /* waits that hold it */
} PushWaiter;

static void
waiter_free (PushWaiter *waiter)
{
  g_cond_clear (&waiter->cond);
  g_free (waiter);
}

void
bsd_engine_push_init (BsdEngine *self)
{
  g_mutex_init (&self->push_lock);
  self->push_waiters
      = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, (GDestroyNotify)waiter_free);
  self->push_pool = g_thread_pool_new (bsd_engine_pool_func, self, PUSH_MAX_WORKERS, FALSE, NULL);
}

/* every waiter looks again: a run was cancelled or the engine goes away */
static void
wake_all (BsdEngine *self, gboolean closing)
{
  GHashTableIter iter;
  PushWaiter *waiter;

  g_mutex_lock (&self->push_lock);
  self->push_closing = self->push_closing || closing;
  g_hash_table_iter_init (&iter, self->push_waiters);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *)&waiter))
    g_cond_broadcast (&waiter->cond);
  g_mutex_unlock (&self->push_lock);
}

void
bsd_engine_push_finalize (BsdEngine *self)
{
  wake_all (self, TRUE);
  g_thread_pool_free (self->push_pool, FALSE, TRUE);
  g_hash_table_unref (self->push_waiters);
  g_mutex_clear (&self->push_lock);
}

void
bsd_engine_push_notify (BsdEngine *self, guint device_id)
{
  PushWaiter *waiter;

  g_return_if_fail (BSD_IS_ENGINE (self));
  g_mutex_lock (&self->push_lock);
  waiter = g_hash_table_lookup (self->push_waiters, GUINT_TO_POINTER (device_id));
  if (waiter)
    {
      waiter->notices++;
      g_cond_broadcast (&waiter->cond);
    }
  g_mutex_unlock (&self->push_lock);
}

static void
cancelled_cb (GCancellable *cancellable, gpointer data)
{
  wake_all (data, FALSE);
}

/* under push_lock */
static PushWaiter *
waiter_hold (BsdEngine *self, guint device_id)
{
  PushWaiter *waiter = g_hash_table_lookup (self->push_waiters, GUINT_TO_POINTER (device_id));

  if (waiter == NULL)
    {
      waiter = g_new0 (PushWaiter, 1);
      g_cond_init (&waiter->cond);
      g_hash_table_insert (self->push_waiters, GUINT_TO_POINTER (device_id), waiter);
    }
  waiter->waiting++;
  return waiter;
}

/* under push_lock */
static void
waiter_release (BsdEngine *self, guint device_id, PushWaiter *waiter)
{
  if (--waiter->waiting == 0)
    g_hash_table_remove (self->push_waiters, GUINT_TO_POINTER (device_id));
}

/* ---------------------------------------------------- the store, briefly */

/* the workers' connection, or an error; release it in any case */
static BsdStore *
writer_or_error (BsdEngine *self, GError **error)
{
  BsdStore *writer = bsd_engine_writer_acquire (self);

  if (writer == NULL)
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                         "push terminals need the database in a file");
  return writer;
}

/* @texts (char*) into the device's queue in one transaction; their ids
 * (gint64) in order. A text still queued from an earlier job (the
 * terminal was away) is not queued twice: its command stands for it. */
static GArray *
queue_commands (BsdEngine *self, guint device_id, GPtrArray *texts, GError **error)
{
  BsdStore *writer = writer_or_error (self, error);
  g_autoptr (GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  gboolean ok = writer != NULL && bsd_store_begin (writer, error);

  for (guint i = 0; ok && i < texts->len; i++)
    {
      gint64 id = bsd_store_find_queued_push_command (writer, device_id, texts->pdata[i], error);

      if (id == 0)
        id = bsd_store_queue_push_command (writer, device_id, texts->pdata[i], error);
      ok = id > 0;
      g_array_append_val (ids, id);
    }
  if (ok)
    ok = bsd_store_commit (writer, error);
  else if (writer)
    bsd_store_rollback (writer, NULL);
  bsd_engine_writer_release (self);
  return ok ? g_steal_pointer (&ids) : NULL;
}

/* BsdPushCommand* of @ids, in their order; *@unanswered of them wait */
static GPtrArray *
list_commands (BsdEngine *self, guint device_id, GArray *ids, guint *unanswered, GError **error)
{
  BsdStore *writer = writer_or_error (self, error);
  g_autoptr (GPtrArray) rows = NULL;
  g_autoptr (GHashTable) by_id = g_hash_table_new (g_int64_hash, g_int64_equal);
  GPtrArray *commands;
  gint64 first = G_MAXINT64, last = 0;

  for (guint i = 0; i < ids->len; i++)
    {
      first = MIN (first, g_array_index (ids, gint64, i));
      last = MAX (last, g_array_index (ids, gint64, i));
    }
  if (writer)
    rows = bsd_store_list_push_commands (writer, device_id, first, last, error);
  bsd_engine_writer_release (self);
  if (rows == NULL)
    return NULL;
  for (guint i = 0; i < rows->len; i++)
    g_hash_table_insert (by_id, &((BsdPushCommand *)rows->pdata[i])->id, rows->pdata[i]);
  commands = g_ptr_array_new_with_free_func ((GDestroyNotify)bsd_push_command_free);
  *unanswered = 0;
  for (guint i = 0; i < ids->len; i++)
    {
      BsdPushCommand *row = g_hash_table_lookup (by_id, &g_array_index (ids, gint64, i));
      BsdPushCommand *copy;

      if (row == NULL)
        {
          /* removed with its device meanwhile */
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "the terminal's queue is gone");
          g_ptr_array_unref (commands);
          return NULL;
        }
      copy = g_memdup2 (row, sizeof *row);
      copy->command = g_strdup (row->command);
      copy->cause = g_strdup (row->cause);
      g_ptr_array_add (commands, copy);
      *unanswered += row->state == BSD_PUSH_COMMAND_QUEUED || row->state == BSD_PUSH_COMMAND_SENT;
    }
  return commands;
}

/* Waits until the terminal answered the commands @ids; their rows, in
 * order. The deadline counts from the terminal's last answer, so that a
 * long queue that moves is never cut short. G_IO_ERROR_PENDING past it,
 * cancelled when the run is (or the engine goes away). */
static GPtrArray *
wait_results (DeviceCtx *dev, guint wait_s, GArray *ids, GError **error)
{
  BsdEngine *self = dev->run->engine;
  GCancellable *cancellable = dev->run->cancellable;
  const gint64 wait_us = (gint64)wait_s * G_USEC_PER_SEC;
  gint64 deadline = g_get_monotonic_time () + wait_us;
  guint device_id = dev->endpoint->device_id;
  gulong handler = g_cancellable_connect (cancellable, G_CALLBACK (cancelled_cb), self, NULL);
  guint before = G_MAXUINT;
  GPtrArray *commands = NULL;
  PushWaiter *waiter;

  g_mutex_lock (&self->push_lock);
  waiter = waiter_hold (self, device_id);
  g_mutex_unlock (&self->push_lock);

  for (;;)
    {
      gint64 now, until;
      guint64 seen;
      guint unanswered = 0;
      gboolean closing;

      g_mutex_lock (&self->push_lock);
      seen = waiter->notices;
      closing = self->push_closing;
      g_mutex_unlock (&self->push_lock);
      commands = list_commands (self, device_id, ids, &unanswered, error);
      if (commands == NULL || unanswered == 0)
        break;
      g_clear_pointer (&commands, g_ptr_array_unref);
      if (closing || g_cancellable_set_error_if_cancelled (cancellable, error))
        {
          if (closing)
            g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CANCELLED, "cancelled");
          break;
        }
      now = g_get_monotonic_time ();
      if (unanswered < before)
        deadline = now + wait_us;
      before = unanswered;
      if (now >= deadline)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_PENDING,
                       "%s did not poll within %u s: %u commands stay queued for when it returns",
                       dev->endpoint->name, wait_s, unanswered);
          break;
        }
      until = MIN (deadline, now + PUSH_LOOK_US);
      g_mutex_lock (&self->push_lock);
      while (waiter->notices == seen && !self->push_closing
             && !g_cancellable_is_cancelled (cancellable))
        if (!g_cond_wait_until (&waiter->cond, &self->push_lock, until))
          break;
      g_mutex_unlock (&self->push_lock);
    }
  g_cancellable_disconnect (cancellable, handler);
  g_mutex_lock (&self->push_lock);
  waiter_release (self, device_id, waiter);
  g_mutex_unlock (&self->push_lock);
  return commands;
}

/* queued, then waited for */
static GPtrArray *
run_commands (DeviceCtx *dev, const BsdPushCaps *caps, GPtrArray *texts, GError **error)
{
  g_autoptr (GArray) ids
      = queue_commands (dev->run->engine, dev->endpoint->device_id, texts, error);

  return ids ? wait_results (dev, bsd_push_caps_wait_s (caps), ids, error) : NULL;
}

/* ------------------------------------------------------------ the mirror */

static gboolean
load_caps (BsdEngine *self, guint device_id, BsdPushCaps *caps, GError **error)
{
  BsdStore *writer = writer_or_error (self, error);
  g_autoptr (BsdPushDevice) push = NULL;
  g_autofree char *options = NULL;

  if (writer)
    push = bsd_store_get_push_device_by_id (writer, device_id, error);
  if (push)
    options = bsd_store_get_push_options (writer, push->serial, error);
  bsd_engine_writer_release (self);
  if (options == NULL)
    return FALSE;
  bsd_push_caps_init (caps, push->dialect, options);
  return TRUE;
}

/* the users the terminal's mirror holds (PushUser*) */
static GPtrArray *
mirror_users (DeviceCtx *dev, GError **error)
{
  BsdEngine *self = dev->run->engine;
  BsdStore *writer = writer_or_error (self, error);
  GPtrArray *users = NULL;

  if (writer)
    users = bsd_store_get_push_mirror_users (writer, dev->endpoint->device_id, error);
  bsd_engine_writer_release (self);
  return users;
}

static BsdSnapshot *
mirror_snapshot (DeviceCtx *dev, const BsdPushCaps *caps, GError **error)
{
  BsdEngine *self = dev->run->engine;
  BsdStore *writer = writer_or_error (self, error);
  g_autoptr (GPtrArray) users = NULL;
  g_autoptr (GPtrArray) templates = NULL;
  g_autoptr (GPtrArray) photos = NULL;

  if (writer)
    users = bsd_store_get_push_mirror_users (writer, dev->endpoint->device_id, error);
  if (users)
    templates = bsd_store_get_push_mirror_templates (writer, dev->endpoint->device_id, error);
  if (templates)
    photos = bsd_store_get_push_mirror_photos (writer, dev->endpoint->device_id, error);
  bsd_engine_writer_release (self);
  if (photos == NULL)
    return NULL;
  return bsd_push_io_snapshot (dev->endpoint->device_id, dev->endpoint->name, caps, users,
                               templates, photos);
}

/* a query's answer says the terminal has nothing of that kind */
static gboolean
query_answered (const BsdPushCommand *command)
{
  return command->state == BSD_PUSH_COMMAND_DONE || command->return_code == -1;
}

/* what an answered query of @type leaves out was removed from the terminal */
static gboolean
prune_mirror (BsdStore *writer, guint device_id, gint64 sent_at, guint type, GError **error)
{
  /* a 3.x biodata table answers for every template type the snapshot reads */
  if (type == BSD_PUSH_QUERY_BIODATA)
    return bsd_store_prune_push_mirror (writer, device_id, sent_at, PUSH_BIO_FINGER, error)
           && bsd_store_prune_push_mirror (writer, device_id, sent_at, PUSH_BIO_FACE_VL, error);
  return bsd_store_prune_push_mirror (writer, device_id, sent_at, type, error);
}

/* Asks the terminal for everything (@info_only: for its options) and
 * waits for its uploads: once a query is answered, what it did not upload
 * again is gone from it. A query it refuses leaves the mirror of that
 * kind as it was, with a warning. */
static gboolean
refresh_mirror (DeviceCtx *dev,
                const BsdPushCaps *caps,
                gboolean info_only,
                gboolean users_only,
                GError **error)
{
  BsdEngine *self = dev->run->engine;
  g_autoptr (GArray) types = g_array_new (FALSE, FALSE, sizeof (guint));
  g_autoptr (GPtrArray) queries = bsd_push_io_queries (caps, info_only, types, error);
  g_autoptr (GPtrArray) results = NULL;
  BsdStore *writer;
  gboolean ok = TRUE;

  /* one PIN's change is read back from the user table alone */
  for (guint i = types->len; users_only && queries != NULL && i-- > 0;)
    if (g_array_index (types, guint, i) != BSD_PUSH_QUERY_USERS)
      {
        g_ptr_array_remove_index (queries, i);
        g_array_remove_index (types, i);
      }
  if (queries == NULL || (results = run_commands (dev, caps, queries, error)) == NULL)
    return FALSE;
  writer = writer_or_error (self, error);
  for (guint i = 0; writer && ok && i < results->len && i < types->len; i++)
    {
      BsdPushCommand *command = results->pdata[i];
      guint type = g_array_index (types, guint, i);

      if (type == BSD_PUSH_QUERY_INFO)
        continue;
      if (query_answered (command))
        ok = prune_mirror (writer, dev->endpoint->device_id, command->sent_at, type, error);
      else if (dev->warnings)
        g_ptr_array_add (dev->warnings,
                         g_strdup_printf ("the terminal refused “%s”: %s (Return %d)",
                                          command->command, command->cause ? command->cause : "",
                                          command->return_code));
    }
  bsd_engine_writer_release (self);
  return writer != NULL && ok;
}

/* a sync asks the terminal for everything first: no full read is recent,
 * or its options do not say its algorithm versions yet (a 3.x unit has no
 * INFO, −708: its registration carried its options) */
static gboolean
needs_query (const DeviceCtx *dev, const BsdPushCaps *caps)
{
  return !dev->cache_allowed || (bsd_push_caps_unknown (caps) && caps->dialect == PUSH_DIALECT_2);
}

/* A preview asks a push terminal nothing, so a mirror no full read
 * confirmed holds only what the terminal uploaded by itself (what it held
 * before it was accepted comes when asked, or when it re-uploads of its
 * own accord): its plan would look complete and be wrong. Its result
 * says so. */
static void
mark_unread (DeviceCtx *dev)
{
  g_autofree char *reason = g_strdup_printf (
      "not read yet: planned on what it uploaded by itself (%u users, %u fingerprints, "
      "%u faces); what it holds is read when a sync asks it for everything",
      dev->snapshot->users->len, dev->snapshot->templates->len, dev->snapshot->faces->len);

  bsd_engine_set_status (dev, "pending", reason);
}

/* the read: the mirror, refreshed first unless a full read is recent (a
 * preview queues nothing: it plans on the mirror as the terminal last
 * uploaded it, and says when that was never confirmed) */
static void
push_read (DeviceCtx *dev, BsdPushCaps *caps)
{
  Run *run = dev->run;

  dev->warnings = g_ptr_array_new_with_free_func (g_free);
  if (run->read_only)
    {
      dev->snapshot = mirror_snapshot (dev, caps, &dev->error);
      if (dev->snapshot && needs_query (dev, caps))
        mark_unread (dev);
      return;
    }
  if (bsd_push_caps_unknown (caps) && caps->dialect == PUSH_DIALECT_2)
    {
      /* what to ask for depends on its versions: INFO first */
      if (!refresh_mirror (dev, caps, TRUE, FALSE, &dev->error))
        return;
      bsd_push_caps_clear (caps);
      if (!load_caps (run->engine, dev->endpoint->device_id, caps, &dev->error)
          || !refresh_mirror (dev, caps, FALSE, FALSE, &dev->error))
        return;
      dev->push_queried = TRUE;
    }
  else if (!dev->cache_allowed)
    {
      if (!refresh_mirror (dev, caps, FALSE, FALSE, &dev->error))
        return;
      dev->push_queried = TRUE;
    }
  dev->snapshot = mirror_snapshot (dev, caps, &dev->error);
}

static void
add_refusals (DeviceCtx *dev, GPtrArray *writes, GPtrArray *results)
{
  for (guint i = 0; i < writes->len && i < results->len; i++)
    {
      BsdPushWrite *write = writes->pdata[i];
      BsdPushCommand *command = results->pdata[i];
      g_autofree char *reason = NULL;

      if (command->state != BSD_PUSH_COMMAND_FAILED)
        continue;
      reason = g_strdup_printf ("refused by the terminal: %s (Return %d)",
                                command->cause ? command->cause : "error", command->return_code);
      bsd_apply_result_add_failure (&dev->apply, write->kind, write->pin, write->index,
                                    write->action, reason);
    }
}

/* a face of the terminal's own version for @pin (a snapshot holds no other) */
static gboolean
holds_face (const BsdSnapshot *snapshot, const char *pin)
{
  for (guint i = 0; i < snapshot->faces->len; i++)
    if (g_strcmp0 (
            bsd_snapshot_lookup_pin (snapshot, ((const ZkFace *)snapshot->faces->pdata[i])->uid),
            pin)
        == 0)
      return TRUE;
  return FALSE;
}

/* a photo the terminal took counts once it made a face of its own version
 * from it (not the source's bytes: its template is its own) */
static void
verify_photos (DeviceCtx *dev, GPtrArray *writes, GPtrArray *results, const BsdSnapshot *after)
{
  for (guint i = 0; i < writes->len && i < results->len; i++)
    {
      BsdPushWrite *write = writes->pdata[i];
      BsdPushCommand *command = results->pdata[i];

      if (g_strcmp0 (write->action, "photo") != 0 || command->state == BSD_PUSH_COMMAND_FAILED)
        continue;
      if (holds_face (after, write->pin))
        dev->apply.faces_added++;
      else
        bsd_apply_result_add_failure (&dev->apply, write->kind, write->pin, write->index,
                                      write->action,
                                      "the terminal took the photo but holds no face of its own "
                                      "version for the person (read back)");
    }
}

/* the apply: the plan's writes as commands, their results, then a full
 * query whose uploads are compared with the plan like a pull read-back */
static void
push_apply (DeviceCtx *dev, const BsdPushCaps *caps)
{
  g_autoptr (GPtrArray) held = NULL;
  g_autoptr (GPtrArray) writes = NULL;
  g_autoptr (GPtrArray) texts = g_ptr_array_new ();
  g_autoptr (GPtrArray) results = NULL;
  g_autoptr (BsdSnapshot) after = NULL;

  bsd_apply_result_init (&dev->apply);
  dev->applied = TRUE;
  held = mirror_users (dev, &dev->error);
  if (held == NULL)
    return;
  writes = bsd_push_io_plan_writes (caps, dev->plan, held, &dev->error);
  if (writes == NULL || writes->len == 0)
    return;
  for (guint i = 0; i < writes->len; i++)
    g_ptr_array_add (texts, ((BsdPushWrite *)writes->pdata[i])->command);
  results = run_commands (dev, caps, texts, &dev->error);
  if (results == NULL)
    return;
  add_refusals (dev, writes, results);
  if (!refresh_mirror (dev, caps, FALSE, FALSE, &dev->error))
    {
      g_prefix_error (&dev->error, "reading back: ");
      return;
    }
  after = mirror_snapshot (dev, caps, &dev->error);
  if (after == NULL)
    return;
  bsd_device_io_verify (dev->plan, &dev->apply, after);
  verify_photos (dev, writes, results, after);
  dev->apply.after = g_steal_pointer (&after);
}

/* ------------------------------------------------------------ one PIN */

static PushUser *
held_user (DeviceCtx *dev, const char *pin, GError **error)
{
  g_autoptr (GPtrArray) users = mirror_users (dev, error);
  PushUser *held = NULL;

  for (guint i = 0; users && i < users->len && held == NULL; i++)
    if (g_strcmp0 (((PushUser *)users->pdata[i])->pin, pin) == 0)
      held = g_ptr_array_steal_index (users, i);
  return held;
}

/* one command, its result; FALSE with the terminal's cause when refused */
static gboolean
run_command (DeviceCtx *dev, const BsdPushCaps *caps, char *text, GError **error)
{
  g_autoptr (GPtrArray) texts = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) results = NULL;
  BsdPushCommand *command;

  if (text == NULL)
    return FALSE;
  g_ptr_array_add (texts, text);
  results = run_commands (dev, caps, texts, error);
  if (results == NULL)
    return FALSE;
  command = results->pdata[0];
  if (command->state == BSD_PUSH_COMMAND_DONE)
    return TRUE;
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "refused by the terminal: %s (Return %d)",
               command->cause ? command->cause : "error", command->return_code);
  return FALSE;
}

/* after a change of one PIN: the terminal's user table again (a terminal
 * that answers OK and keeps nothing is found here, not believed), then
 * what it holds of @pin now, NULL when nothing */
static gboolean
read_back_user (DeviceCtx *dev, const BsdPushCaps *caps, const char *pin, PushUser **held)
{
  if (!refresh_mirror (dev, caps, FALSE, TRUE, &dev->error))
    {
      g_prefix_error (&dev->error, "reading back: ");
      return FALSE;
    }
  *held = held_user (dev, pin, &dev->error);
  return dev->error == NULL;
}

static void
not_kept (DeviceCtx *dev, const char *what)
{
  g_set_error (&dev->error, G_IO_ERROR, G_IO_ERROR_FAILED,
               "the terminal answered OK but does not hold the %s (read back)", what);
}

/* DeleteUser: the deletion is queued whatever the mirror says (a PIN the
 * terminal got since its last upload goes too) */
static void
push_delete_pin (DeviceCtx *dev, const BsdPushCaps *caps)
{
  const char *pin = dev->run->op->pin;
  g_autoptr (PushUser) held = held_user (dev, pin, &dev->error);
  g_autoptr (PushUser) after = NULL;

  if (dev->error)
    return;
  dev->was_present = held != NULL;
  if (!run_command (dev, caps, push_format_user_delete (caps->dialect, pin, &dev->error),
                    &dev->error)
      || !read_back_user (dev, caps, pin, &after))
    return;
  if (after != NULL)
    not_kept (dev, "deletion");
  dev->done_ok = after == NULL;
}

/* UpdateUser: only where the terminal holds the PIN */
static void
push_update_pin (DeviceCtx *dev, const BsdPushCaps *caps)
{
  const ZkUser *record = dev->run->update_record;
  g_autoptr (PushUser) held = held_user (dev, record->user_id, &dev->error);
  g_autoptr (PushUser) want = NULL;
  g_autoptr (PushUser) after = NULL;

  if (dev->error)
    return;
  dev->was_present = held != NULL;
  dev->done_ok = held == NULL;
  if (held == NULL
      || !run_command (dev, caps, bsd_push_io_user_update (caps, record, held, &dev->error),
                       &dev->error))
    return;
  dev->done_ok = FALSE;
  if (!read_back_user (dev, caps, record->user_id, &after))
    return;
  /* name and privilege as sent; cards and passwords come back in the
   * terminal's own notation */
  want = bsd_push_io_user_from_record (record, held);
  if (after == NULL || g_strcmp0 (after->name, want->name) != 0
      || after->privilege != want->privilege)
    not_kept (dev, "change");
  dev->done_ok = dev->error == NULL;
}

void
bsd_engine_push_work (Work *work)
{
  DeviceCtx *dev = work->dev;
  BsdPushCaps caps;

  if (load_caps (dev->run->engine, dev->endpoint->device_id, &caps, &dev->error))
    {
      switch (work->phase)
        {
        case PHASE_READ:
          push_read (dev, &caps);
          break;
        case PHASE_APPLY:
          push_apply (dev, &caps);
          break;
        case PHASE_DELETE_PIN:
          push_delete_pin (dev, &caps);
          break;
        case PHASE_UPDATE_PIN:
          push_update_pin (dev, &caps);
          break;
        case PHASE_LOGS:
        case PHASE_CLEAR_LOGS:
        case PHASE_SET_TIME:
        case PHASE_PLAN:
        case PHASE_REPORT:
        default:
          g_assert_not_reached ();
        }
      bsd_push_caps_clear (&caps);
    }
  bsd_engine_store_results (dev, work->phase);
}
